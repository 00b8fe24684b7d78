package main

// Events leave as one JSON line each on stdout, written with a single write
// when they happen: from memberlist's EventDelegate (join, leave, update) and
// from its log lines (suspect, marked-failed, probe-timeout, tcp-fallback,
// refute). Suspicions only show in the log of the member whose own probe
// failed; suspicions learnt by gossip produce no log line and no event.

import (
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// event is one output line. t is epoch milliseconds (sub-ms) from the wall
// clock, mono nanoseconds since the process started (monotonic clock).
type event struct {
	T             float64       `json:"t"`
	Mono          int64         `json:"mono"`
	Kind          string        `json:"kind"`
	Subject       string        `json:"subject,omitempty"`
	Address       string        `json:"address,omitempty"`
	State         string        `json:"state,omitempty"`
	Incarnation   *uint32       `json:"incarnation,omitempty"`
	Confirmations *int          `json:"confirmations,omitempty"`
	From          string        `json:"from,omitempty"`
	Level         string        `json:"level,omitempty"`
	Message       string        `json:"message,omitempty"`
	Bind          string        `json:"bind,omitempty"`
	Joined        *int          `json:"joined,omitempty"`
	Preset        string        `json:"preset,omitempty"`
	Config        *configView   `json:"config,omitempty"`
	Members       []memberState `json:"members,omitempty"`
	Health        *int          `json:"health,omitempty"`
}

type output struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func newOutput(w io.Writer, start time.Time) *output { return &output{w: w, start: start} }

// emit stamps the event now and writes it as one line (os.Stdout is not
// buffered). The stamp is taken before waiting for the lock, so lines from
// concurrent goroutines may be out of t order by microseconds.
func (o *output) emit(e event) {
	now := time.Now()
	e.T = float64(now.UnixNano()) / 1e6
	e.Mono = now.Sub(o.start).Nanoseconds()
	line, err := json.Marshal(e)
	if err != nil {
		return
	}
	line = append(line, '\n')
	o.mu.Lock()
	defer o.mu.Unlock()
	o.w.Write(line)
}

// addressBook maps node names to their advertised host:port, as learnt from
// join and update events, for events parsed from log lines (which carry names).
type addressBook struct {
	mu   sync.Mutex
	addr map[string]string
}

func newAddressBook() *addressBook { return &addressBook{addr: map[string]string{}} }

func (b *addressBook) set(name, addr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.addr[name] = addr
}

func (b *addressBook) get(name string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addr[name]
}

// eventDelegate reports memberlist's membership events. memberlist calls it
// with its node lock held, so it must not call back into the Memberlist's
// public methods.
type eventDelegate struct {
	out   *output
	names *addressBook
	ml    *atomic.Pointer[memberlist.Memberlist]
}

func (d *eventDelegate) NotifyJoin(n *memberlist.Node) {
	d.names.set(n.Name, n.Address())
	d.out.emit(event{Kind: "join", Subject: n.Name, Address: n.Address()})
}

func (d *eventDelegate) NotifyUpdate(n *memberlist.Node) {
	d.names.set(n.Name, n.Address())
	d.out.emit(event{Kind: "update", Subject: n.Name, Address: n.Address()})
}

// NotifyLeave covers both a failure (dead) and a graceful leave (left).
// Node.State is never set in 0.2.2 (nodeState.State shadows it), so the state
// is read from memberlist's node map; the caller holds the node lock.
func (d *eventDelegate) NotifyLeave(n *memberlist.Node) {
	e := event{Kind: "leave", Subject: n.Name, Address: n.Address(), State: "unknown"}
	if m := d.ml.Load(); m != nil {
		if s, ok := lockedNodeState(m, n.Name); ok {
			e.State = leaveName(s.State)
			e.Incarnation = s.Incarnation
		}
	}
	d.out.emit(e)
}

// leaveName names a departed member's state: failed (declared dead by a
// member) or left (it announced its own departure).
func leaveName(state string) string {
	switch state {
	case "dead":
		return "failed"
	case "left":
		return "left"
	}
	return state
}

// Log lines of memberlist 0.2.2 that become events (message part, after the
// "YYYY/MM/DD hh:mm:ss [LEVEL] memberlist: " prefix).
var (
	logLine     = regexp.MustCompile(`\[([A-Z]+)\] (?:memberlist: )?(.*)$`)
	suspectLine = regexp.MustCompile(`^Suspect (.+) has failed, no acks received$`)
	markedLine  = regexp.MustCompile(`^Marking (.+) as failed, suspect timeout reached \((\d+) peer confirmations\)$`)
	probeLine   = regexp.MustCompile(`^Failed ping: (.+) \(timeout reached\)$`)
	tcpOnlyLine = regexp.MustCompile(`^Was able to connect to (.+) but other probes failed, network may be misconfigured$`)
	refuteLine  = regexp.MustCompile(`^Refuting a (suspect|dead) message \(from: (.+)\)$`)
)

// logParser is memberlist's Config.LogOutput. log.Logger hands it exactly one
// message per Write, which is parsed and reported at once.
type logParser struct {
	out   *output
	names *addressBook
	self  string
	all   bool
}

func (p *logParser) Write(b []byte) (int, error) {
	text := strings.TrimRight(string(b), "\n")
	first := text
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		first = text[:i]
	}
	m := logLine.FindStringSubmatch(first)
	if m == nil {
		if p.all {
			p.out.emit(event{Kind: "log", Message: text})
		}
		return len(b), nil
	}
	level, msg := m[1], m[2]
	if s := suspectLine.FindStringSubmatch(msg); s != nil {
		p.out.emit(event{Kind: "suspect", Subject: s[1], Address: p.names.get(s[1])})
	} else if s := markedLine.FindStringSubmatch(msg); s != nil {
		n, _ := strconv.Atoi(s[2])
		p.out.emit(event{Kind: "marked-failed", Subject: s[1], Address: p.names.get(s[1]), Confirmations: &n})
	} else if s := probeLine.FindStringSubmatch(msg); s != nil {
		p.out.emit(event{Kind: "probe-timeout", Subject: s[1], Address: p.names.get(s[1])})
	} else if s := tcpOnlyLine.FindStringSubmatch(msg); s != nil {
		p.out.emit(event{Kind: "tcp-fallback", Subject: s[1], Address: p.names.get(s[1])})
	} else if s := refuteLine.FindStringSubmatch(msg); s != nil {
		p.out.emit(event{Kind: "refute", Subject: p.self, State: s[1], From: s[2]})
	} else if p.all || level == "WARN" || level == "ERR" || level == "ERROR" {
		p.out.emit(event{Kind: "log", Level: level, Message: msg})
	}
	return len(b), nil
}

// configView is the effective configuration, reported once in the ready event
// (durations in milliseconds).
type configView struct {
	ProbeIntervalMs         float64 `json:"probeIntervalMs"`
	ProbeTimeoutMs          float64 `json:"probeTimeoutMs"`
	IndirectChecks          int     `json:"indirectChecks"`
	SuspicionMult           int     `json:"suspicionMult"`
	SuspicionMaxTimeoutMult int     `json:"suspicionMaxTimeoutMult"`
	AwarenessMaxMultiplier  int     `json:"awarenessMaxMultiplier"`
	GossipIntervalMs        float64 `json:"gossipIntervalMs"`
	GossipNodes             int     `json:"gossipNodes"`
	GossipToTheDeadTimeMs   float64 `json:"gossipToTheDeadTimeMs"`
	PushPullIntervalMs      float64 `json:"pushPullIntervalMs"`
	TCPTimeoutMs            float64 `json:"tcpTimeoutMs"`
	RetransmitMult          int     `json:"retransmitMult"`
	DeadNodeReclaimTimeMs   float64 `json:"deadNodeReclaimTimeMs"`
	DisableTcpPings         bool    `json:"disableTcpPings"`
	HandoffQueueDepth       int     `json:"handoffQueueDepth"`
	UDPBufferSize           int     `json:"udpBufferSize"`
	EnableCompression       bool    `json:"enableCompression"`
	GossipVerifyIncoming    bool    `json:"gossipVerifyIncoming"`
	GossipVerifyOutgoing    bool    `json:"gossipVerifyOutgoing"`
	RequireNodeNames        bool    `json:"requireNodeNames"`
	ProtocolVersion         uint8   `json:"protocolVersion"`
	Encrypted               bool    `json:"encrypted"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func viewConfig(c *memberlist.Config) *configView {
	return &configView{
		ProbeIntervalMs: ms(c.ProbeInterval), ProbeTimeoutMs: ms(c.ProbeTimeout),
		IndirectChecks: c.IndirectChecks, SuspicionMult: c.SuspicionMult,
		SuspicionMaxTimeoutMult: c.SuspicionMaxTimeoutMult, AwarenessMaxMultiplier: c.AwarenessMaxMultiplier,
		GossipIntervalMs: ms(c.GossipInterval), GossipNodes: c.GossipNodes,
		GossipToTheDeadTimeMs: ms(c.GossipToTheDeadTime), PushPullIntervalMs: ms(c.PushPullInterval),
		TCPTimeoutMs: ms(c.TCPTimeout), RetransmitMult: c.RetransmitMult,
		DeadNodeReclaimTimeMs: ms(c.DeadNodeReclaimTime), DisableTcpPings: c.DisableTcpPings,
		HandoffQueueDepth: c.HandoffQueueDepth, UDPBufferSize: c.UDPBufferSize,
		EnableCompression: c.EnableCompression, GossipVerifyIncoming: c.GossipVerifyIncoming,
		GossipVerifyOutgoing: c.GossipVerifyOutgoing, RequireNodeNames: c.RequireNodeNames,
		ProtocolVersion: c.ProtocolVersion, Encrypted: c.EncryptionEnabled(),
	}
}

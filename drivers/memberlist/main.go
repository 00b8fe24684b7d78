// Command memberlist-driver runs one HashiCorp memberlist (0.2.2) member for
// the gossip harness: one process per member, events as JSON lines on stdout,
// commands as lines on stdin. It exits when stdin closes, so it never outlives
// the process that started it.
//
// Lifeguard in 0.2.2: the local-health multiplier is turned off with
// -awareness-max-multiplier=1 and the shrinking suspicion timeout with
// -suspicion-max-timeout-mult=1. The third part, the "buddy system", has no
// switch: probeNode in state.go always sends a suspect message along with the
// ping (one compound packet) when the probed node is not alive in our view.
//
// Files: main.go (flags, start, stdin), output.go (events on stdout, the event
// delegate, the log-line parser), nodes.go (reading node states).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

func main() {
	start := time.Now()
	out := newOutput(os.Stdout, start)
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "memberlist-driver:", err)
		os.Exit(2)
	}
	if err := run(opts, out); err != nil {
		out.emit(event{Kind: "error", Message: err.Error()})
		os.Exit(1)
	}
}

// options are the parsed flags: the member's identity and addresses, and the
// memberlist configuration (a preset with the given overrides applied).
type options struct {
	name          string
	bindAddr      string
	bindPort      int
	advertiseAddr string
	advertisePort int
	join          []string
	joinTimeout   time.Duration
	leaveTimeout  time.Duration
	logAll        bool
	preset        string
	config        *memberlist.Config
}

// override is a tuning flag: it changes the preset's value only when given.
type override struct {
	apply  func(*memberlist.Config)
	isBool bool
	set    func(string) error
	text   string
}

func (o *override) String() string     { return o.text }
func (o *override) Set(s string) error { o.text = s; return o.set(s) }
func (o *override) IsBoolFlag() bool   { return o.isBool }

// tuningFlags registers one flag per timing/tuning field of memberlist.Config
// 0.2.2 and returns the overrides in the order they were given.
func tuningFlags(fs *flag.FlagSet) *[]func(*memberlist.Config) {
	given := &[]func(*memberlist.Config){}
	duration := func(name, usage string, field func(*memberlist.Config) *time.Duration) {
		o := &override{}
		o.set = func(s string) error {
			d, err := time.ParseDuration(s)
			if err != nil {
				return err
			}
			if d < 0 {
				return fmt.Errorf("must be >= 0")
			}
			*given = append(*given, func(c *memberlist.Config) { *field(c) = d })
			return nil
		}
		fs.Var(o, name, usage+" (a Go `duration`: 500ms, 1.5s)")
	}
	integer := func(name, usage string, field func(*memberlist.Config) *int) {
		o := &override{}
		o.set = func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return fmt.Errorf("not a non-negative integer: %q", s)
			}
			*given = append(*given, func(c *memberlist.Config) { *field(c) = n })
			return nil
		}
		fs.Var(o, name, usage+" (`int`)")
	}
	boolean := func(name, usage string, field func(*memberlist.Config) *bool) {
		o := &override{isBool: true}
		o.set = func(s string) error {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return fmt.Errorf("not a boolean: %q", s)
			}
			*given = append(*given, func(c *memberlist.Config) { *field(c) = b })
			return nil
		}
		fs.Var(o, name, usage)
	}

	duration("probe-interval", "ProbeInterval: time between probes", func(c *memberlist.Config) *time.Duration { return &c.ProbeInterval })
	duration("probe-timeout", "ProbeTimeout: wait for a direct ack", func(c *memberlist.Config) *time.Duration { return &c.ProbeTimeout })
	integer("indirect-checks", "IndirectChecks: members asked for an indirect probe", func(c *memberlist.Config) *int { return &c.IndirectChecks })
	integer("suspicion-mult", "SuspicionMult: suspicion timeout = mult * max(1, log10 n) * ProbeInterval", func(c *memberlist.Config) *int { return &c.SuspicionMult })
	integer("suspicion-max-timeout-mult", "SuspicionMaxTimeoutMult: upper bound = mult * suspicion timeout (1 = Lifeguard dynamic suspicion off)", func(c *memberlist.Config) *int { return &c.SuspicionMaxTimeoutMult })
	integer("awareness-max-multiplier", "AwarenessMaxMultiplier: local-health probe interval multiplier cap (1 = Lifeguard awareness off)", func(c *memberlist.Config) *int { return &c.AwarenessMaxMultiplier })
	duration("gossip-interval", "GossipInterval: time between gossip rounds (0 = only piggybacked)", func(c *memberlist.Config) *time.Duration { return &c.GossipInterval })
	integer("gossip-nodes", "GossipNodes: members gossiped to per round", func(c *memberlist.Config) *int { return &c.GossipNodes })
	duration("gossip-to-the-dead-time", "GossipToTheDeadTime: keep gossiping to a dead member this long", func(c *memberlist.Config) *time.Duration { return &c.GossipToTheDeadTime })
	duration("push-pull-interval", "PushPullInterval: full TCP state sync period (0 = off)", func(c *memberlist.Config) *time.Duration { return &c.PushPullInterval })
	duration("tcp-timeout", "TCPTimeout: stream connect/read/write timeout", func(c *memberlist.Config) *time.Duration { return &c.TCPTimeout })
	integer("retransmit-mult", "RetransmitMult: broadcast retransmits = mult * ceil(log10(n+1))", func(c *memberlist.Config) *int { return &c.RetransmitMult })
	duration("dead-node-reclaim-time", "DeadNodeReclaimTime: a dead name may rejoin at a new address after this (0 = never)", func(c *memberlist.Config) *time.Duration { return &c.DeadNodeReclaimTime })
	boolean("disable-tcp-pings", "DisableTcpPings: no TCP fallback ping when UDP probes fail", func(c *memberlist.Config) *bool { return &c.DisableTcpPings })
	integer("handoff-queue-depth", "HandoffQueueDepth: queued incoming UDP messages", func(c *memberlist.Config) *int { return &c.HandoffQueueDepth })
	integer("udp-buffer-size", "UDPBufferSize: max bytes per packet", func(c *memberlist.Config) *int { return &c.UDPBufferSize })
	boolean("enable-compression", "EnableCompression: compress messages", func(c *memberlist.Config) *bool { return &c.EnableCompression })
	boolean("gossip-verify-incoming", "GossipVerifyIncoming: require encryption on incoming gossip (with -secret-key)", func(c *memberlist.Config) *bool { return &c.GossipVerifyIncoming })
	boolean("gossip-verify-outgoing", "GossipVerifyOutgoing: encrypt outgoing gossip (with -secret-key)", func(c *memberlist.Config) *bool { return &c.GossipVerifyOutgoing })
	boolean("require-node-names", "RequireNodeNames: require the target's name in messages", func(c *memberlist.Config) *bool { return &c.RequireNodeNames })

	version := &override{}
	version.set = func(s string) error {
		n, err := strconv.ParseUint(s, 10, 8)
		if err != nil {
			return fmt.Errorf("not a protocol version: %q", s)
		}
		v := uint8(n)
		*given = append(*given, func(c *memberlist.Config) { c.ProtocolVersion = v })
		return nil
	}
	fs.Var(version, "protocol-version", fmt.Sprintf("ProtocolVersion spoken (`int`, %d..%d)", memberlist.ProtocolVersionMin, memberlist.ProtocolVersionMax))

	key := &override{}
	key.set = func(s string) error {
		k := []byte(s)
		if n := len(k); n != 16 && n != 24 && n != 32 {
			return fmt.Errorf("must be 16, 24 or 32 bytes, got %d", n)
		}
		*given = append(*given, func(c *memberlist.Config) { c.SecretKey = k })
		return nil
	}
	fs.Var(key, "secret-key", "SecretKey: AES key as 16, 24 or 32 raw characters (a `string`; turns encryption on)")
	return given
}

func parseFlags(args []string) (*options, error) {
	fs := flag.NewFlagSet("memberlist-driver", flag.ContinueOnError)
	o := &options{}
	fs.StringVar(&o.name, "name", "", "node name, unique in the cluster (required), e.g. m3")
	fs.StringVar(&o.bindAddr, "bind-addr", "127.0.0.1", "private address to bind (UDP and TCP)")
	fs.IntVar(&o.bindPort, "bind-port", 0, "private port to bind (required)")
	fs.StringVar(&o.advertiseAddr, "advertise-addr", "", "public address others use (default: -bind-addr)")
	fs.IntVar(&o.advertisePort, "advertise-port", 0, "public port others use, e.g. the proxy's (default: -bind-port)")
	join := fs.String("join", "", "comma-separated host:port list of members to join (empty: first member)")
	fs.DurationVar(&o.joinTimeout, "join-timeout", 10*time.Second, "keep retrying the join this long")
	fs.DurationVar(&o.leaveTimeout, "leave-timeout", 5*time.Second, "wait this long for the leave broadcast (stdin command leave)")
	fs.BoolVar(&o.logAll, "log-all", false, "report every unparsed log line as a log event (default: only WARN and ERR)")
	fs.StringVar(&o.preset, "preset", "lan", "base configuration: lan, local or wan (memberlist.Default*Config)")
	overrides := tuningFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.name == "" {
		return nil, fmt.Errorf("-name is required")
	}
	if o.bindPort <= 0 || o.bindPort > 65535 {
		return nil, fmt.Errorf("-bind-port is required (1..65535)")
	}
	if o.advertiseAddr == "" {
		o.advertiseAddr = o.bindAddr
	}
	if o.advertisePort == 0 {
		o.advertisePort = o.bindPort
	}
	for _, a := range strings.Split(*join, ",") {
		if a = strings.TrimSpace(a); a != "" {
			o.join = append(o.join, a)
		}
	}
	switch o.preset {
	case "lan":
		o.config = memberlist.DefaultLANConfig()
	case "local":
		o.config = memberlist.DefaultLocalConfig()
	case "wan":
		o.config = memberlist.DefaultWANConfig()
	default:
		return nil, fmt.Errorf("-preset must be lan, local or wan, got %q", o.preset)
	}
	for _, apply := range *overrides {
		apply(o.config)
	}
	c := o.config
	c.Name = o.name
	c.BindAddr = o.bindAddr
	c.BindPort = o.bindPort
	c.AdvertiseAddr = o.advertiseAddr
	c.AdvertisePort = o.advertisePort
	return o, nil
}

func run(o *options, out *output) error {
	var ml atomic.Pointer[memberlist.Memberlist]
	names := newAddressBook()
	o.config.Events = &eventDelegate{out: out, names: names, ml: &ml}
	o.config.LogOutput = &logParser{out: out, names: names, self: o.name, all: o.logAll}

	m, err := memberlist.Create(o.config)
	if err != nil {
		return err
	}
	ml.Store(m)

	joined := 0
	if len(o.join) > 0 {
		deadline := time.Now().Add(o.joinTimeout)
		for {
			n, err := m.Join(o.join)
			if err == nil || n > 0 {
				joined = n
				break
			}
			if time.Now().After(deadline) {
				m.Shutdown()
				return fmt.Errorf("join %s failed for %s: %v", strings.Join(o.join, ","), o.joinTimeout, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	self := m.LocalNode()
	out.emit(event{
		Kind: "ready", Subject: self.Name, Address: self.Address(),
		Bind:   fmt.Sprintf("%s:%d", o.bindAddr, o.bindPort),
		Joined: &joined, Preset: o.preset, Config: viewConfig(o.config),
	})

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch cmd := strings.TrimSpace(in.Text()); cmd {
		case "":
		case "members":
			out.emit(event{Kind: "members", Subject: self.Name, Members: snapshot(m), Health: intPtr(m.GetHealthScore())})
		case "leave":
			if err := m.Leave(o.leaveTimeout); err != nil {
				out.emit(event{Kind: "error", Message: "leave: " + err.Error()})
			}
			m.Shutdown()
			return nil
		default:
			out.emit(event{Kind: "error", Message: fmt.Sprintf("unknown command %q (members, leave)", cmd)})
		}
	}
	// stdin closed (or unreadable): stop without a leave message, like a crash
	// that closes the sockets.
	m.Shutdown()
	return nil
}

func intPtr(n int) *int { return &n }

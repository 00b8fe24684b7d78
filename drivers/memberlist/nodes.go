package main

// memberlist 0.2.2 keeps each member's state (alive, suspect, dead, left) and
// incarnation in an unexported nodeState; its public Members() drops dead and
// left members and returns Nodes whose State field is never set. To report
// real states this file reads the unexported node table by reflection (read
// only). If the fields are not found (another memberlist version), it falls
// back to Members() with state "alive-or-suspect".

import (
	"net"
	"reflect"
	"strconv"
	"sync"
	"unsafe"

	"github.com/hashicorp/memberlist"
)

// memberState is one entry of the members reply.
type memberState struct {
	Name        string  `json:"name"`
	Address     string  `json:"address"`
	State       string  `json:"state"`
	Incarnation *uint32 `json:"incarnation,omitempty"`
}

// stateNames follows memberlist's NodeStateType order (StateAlive = 0 ...).
var stateNames = []string{"alive", "suspect", "dead", "left"}

func stateName(v int64) string {
	if v >= 0 && int(v) < len(stateNames) {
		return stateNames[v]
	}
	return "unknown"
}

// nodeTable returns the Memberlist's unexported nodeLock, nodes and nodeMap
// (read-only reflect values), or ok = false when their types do not match.
func nodeTable(m *memberlist.Memberlist) (lock *sync.RWMutex, nodes, nodeMap reflect.Value, ok bool) {
	v := reflect.ValueOf(m).Elem()
	l := v.FieldByName("nodeLock")
	nodes = v.FieldByName("nodes")
	nodeMap = v.FieldByName("nodeMap")
	if !l.IsValid() || l.Type() != reflect.TypeOf(sync.RWMutex{}) ||
		!nodes.IsValid() || nodes.Kind() != reflect.Slice ||
		!nodeMap.IsValid() || nodeMap.Kind() != reflect.Map || nodeMap.Type().Key().Kind() != reflect.String {
		return nil, reflect.Value{}, reflect.Value{}, false
	}
	return (*sync.RWMutex)(unsafe.Pointer(l.UnsafeAddr())), nodes, nodeMap, true
}

// readState reads State and Incarnation of a *nodeState value.
func readState(p reflect.Value) (memberState, bool) {
	if p.Kind() != reflect.Pointer || p.IsNil() {
		return memberState{}, false
	}
	s := p.Elem()
	st := s.FieldByName("State") // the outer field, which shadows Node.State
	inc := s.FieldByName("Incarnation")
	name := s.FieldByName("Name")
	if !st.IsValid() || st.Kind() != reflect.Int || !inc.IsValid() || inc.Kind() != reflect.Uint32 || name.Kind() != reflect.String {
		return memberState{}, false
	}
	n := uint32(inc.Uint())
	return memberState{Name: name.String(), Address: nodeAddress(s), State: stateName(st.Int()), Incarnation: &n}, true
}

// nodeAddress formats a nodeState's advertised host:port.
func nodeAddress(s reflect.Value) string {
	addr, port := s.FieldByName("Addr"), s.FieldByName("Port")
	if addr.Kind() != reflect.Slice || addr.Type().Elem().Kind() != reflect.Uint8 || port.Kind() != reflect.Uint16 {
		return ""
	}
	ip := net.IP(append([]byte(nil), addr.Bytes()...))
	return net.JoinHostPort(ip.String(), strconv.FormatUint(port.Uint(), 10))
}

// lockedNodeState reads one member's state; the caller must hold the node
// lock (memberlist's event delegate callbacks do).
func lockedNodeState(m *memberlist.Memberlist, name string) (memberState, bool) {
	_, _, nodeMap, ok := nodeTable(m)
	if !ok {
		return memberState{}, false
	}
	return readState(nodeMap.MapIndex(reflect.ValueOf(name)))
}

// snapshot lists every member memberlist knows, with its state, in its probe
// order. Dead and left members stay listed until memberlist reaps them
// (GossipToTheDeadTime after their death).
func snapshot(m *memberlist.Memberlist) []memberState {
	lock, nodes, _, ok := nodeTable(m)
	if ok {
		lock.RLock()
		defer lock.RUnlock()
		out := make([]memberState, 0, nodes.Len())
		for i := 0; i < nodes.Len(); i++ {
			p := nodes.Index(i)
			s, ok := readState(p)
			if !ok {
				break
			}
			out = append(out, s)
		}
		if len(out) == nodes.Len() {
			return out
		}
	}
	members := m.Members()
	out := make([]memberState, 0, len(members))
	for _, n := range members {
		out = append(out, memberState{Name: n.Name, Address: n.Address(), State: "alive-or-suspect"})
	}
	return out
}

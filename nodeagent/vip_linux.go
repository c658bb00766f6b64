package nodeagent

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"
)

// netlinkTimeout bounds the wait for the kernel's answer to one request.
const netlinkTimeout = 5 * time.Second

// addrMessage is an RTM_NEWADDR or RTM_DELADDR request for p on the
// interface with index ifindex, asking for an acknowledgement: what
// `ip addr add|del p dev IF` sends. Netlink headers are in host byte
// order, the address in network order.
func addrMessage(typ uint16, seq uint32, ifindex int, p netip.Prefix) []byte {
	flags := uint16(syscall.NLM_F_REQUEST | syscall.NLM_F_ACK)
	if typ == syscall.RTM_NEWADDR {
		flags |= syscall.NLM_F_CREATE | syscall.NLM_F_EXCL
	}
	ip := p.Addr().As4()
	attr := func(b []byte, typ uint16) []byte {
		b = binary.NativeEndian.AppendUint16(b, uint16(syscall.SizeofRtAttr+len(ip)))
		b = binary.NativeEndian.AppendUint16(b, typ)
		return append(b, ip[:]...)
	}
	size := syscall.NLMSG_HDRLEN + syscall.SizeofIfAddrmsg + 2*(syscall.SizeofRtAttr+len(ip))
	b := make([]byte, 0, size)
	b = binary.NativeEndian.AppendUint32(b, uint32(size))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.NativeEndian.AppendUint16(b, flags)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0) // port id: the kernel
	// ifaddrmsg: family, prefix length, flags, scope (universe), index.
	b = append(b, syscall.AF_INET, byte(p.Bits()), 0, 0)
	b = binary.NativeEndian.AppendUint32(b, uint32(ifindex))
	b = attr(b, syscall.IFA_LOCAL)
	return attr(b, syscall.IFA_ADDRESS)
}

// addrChange adds (or removes) p on the interface through rtnetlink.
// changed is false when the kernel says it was already there (or already
// gone): another caller got there first, which is the state asked for.
func addrChange(ifindex int, p netip.Prefix, add bool) (changed bool, err error) {
	typ, idle := uint16(syscall.RTM_DELADDR), syscall.EADDRNOTAVAIL
	if add {
		typ, idle = syscall.RTM_NEWADDR, syscall.EEXIST
	}
	err = netlinkDo(addrMessage(typ, 1, ifindex, p), 1)
	switch {
	case errors.Is(err, idle):
		return false, nil
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
		return false, fmt.Errorf("%w: %w (log in as root: ssh_user=root, or give the agent's user CAP_NET_ADMIN)", errNeedNetAdmin, err)
	case err != nil:
		return false, err
	}
	return true, nil
}

// netlinkDo sends one request on a fresh NETLINK_ROUTE socket and waits
// for its acknowledgement; a negative errno in it becomes the error.
func netlinkDo(msg []byte, seq uint32) error {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("open netlink socket: %w", err)
	}
	defer syscall.Close(fd)
	tv := syscall.NsecToTimeval(netlinkTimeout.Nanoseconds())
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return fmt.Errorf("netlink socket timeout: %w", err)
	}
	kernel := &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}
	if err := syscall.Sendto(fd, msg, 0, kernel); err != nil {
		return fmt.Errorf("netlink send: %w", err)
	}
	buf := make([]byte, 8192)
	for {
		n, _, err := syscall.Recvfrom(fd, buf, 0)
		if err != nil {
			return fmt.Errorf("netlink receive: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("netlink parse: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq == seq && m.Header.Type == syscall.NLMSG_ERROR {
				return ackError(m.Data)
			}
		}
	}
}

// ackError reads an NLMSG_ERROR payload: 0 acknowledges, -errno refuses.
func ackError(data []byte) error {
	if len(data) < 4 {
		return errors.New("netlink: short acknowledgement")
	}
	if code := int32(binary.NativeEndian.Uint32(data[:4])); code != 0 {
		return syscall.Errno(-code)
	}
	return nil
}

// sendGARP sends frame count times, interval apart, out of the interface
// through a raw packet socket, and returns how many went out.
func sendGARP(ctx context.Context, ifindex int, frame []byte, count int, interval time.Duration) (int, error) {
	proto := htons(etherTypeARP)
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, int(proto))
	if err != nil {
		return 0, fmt.Errorf("open packet socket: %w", err)
	}
	defer syscall.Close(fd)
	to := &syscall.SockaddrLinklayer{Protocol: proto, Ifindex: ifindex, Halen: 6}
	copy(to.Addr[:], frame[0:6])
	for sent := 0; sent < count; sent++ {
		if sent > 0 {
			select {
			case <-ctx.Done():
				return sent, ctx.Err()
			case <-time.After(interval):
			}
		}
		if err := syscall.Sendto(fd, frame, 0, to); err != nil {
			return sent, fmt.Errorf("send on interface %d: %w", ifindex, err)
		}
	}
	return count, nil
}

// htons puts a 16-bit value in network byte order, as AF_PACKET wants its
// protocol number.
func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}

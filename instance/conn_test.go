package instance

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"
)

func TestDriverConfig(t *testing.T) {
	t.Parallel()
	cfg := driverConfig(Endpoint{Name: "server2", Addr: "127.0.0.2:3306", User: "mhago", Password: "s3cret"})
	if cfg.User != "mhago" || cfg.Passwd != "s3cret" || cfg.Net != "tcp" || cfg.Addr != "127.0.0.2:3306" {
		t.Errorf("login = %s/%s@%s(%s)", cfg.User, cfg.Passwd, cfg.Net, cfg.Addr)
	}
	// caching_sha2_password without TLS: the driver fetches the server's
	// RSA key itself; cleartext and a pinned key stay off.
	if cfg.TLS != nil || cfg.TLSConfig != "" || cfg.AllowCleartextPasswords || cfg.ServerPubKey != "" || !cfg.AllowNativePasswords {
		t.Errorf("auth settings: TLS=%v TLSConfig=%q AllowCleartextPasswords=%v ServerPubKey=%q AllowNativePasswords=%v",
			cfg.TLS, cfg.TLSConfig, cfg.AllowCleartextPasswords, cfg.ServerPubKey, cfg.AllowNativePasswords)
	}
	if cfg.Timeout != 4*time.Second || cfg.ReadTimeout != 30*time.Second || cfg.WriteTimeout != 30*time.Second {
		t.Errorf("timeouts = %s, %s, %s", cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout)
	}
	if cfg.Params["wait_timeout"] != "3600" {
		t.Errorf("params = %v", cfg.Params)
	}
}

// TestOpenCachingSHA2WithoutTLS logs in through Open to a server speaking
// just enough of the MySQL 8 protocol to demand caching_sha2_password full
// authentication over plain TCP: the driver must ask for the RSA key and
// send the password encrypted with it, never readable on the wire.
func TestOpenCachingSHA2WithoutTLS(t *testing.T) {
	t.Parallel()
	const password = "caching-sha2-s3cret"
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	done := make(chan error, 1)
	var wire bytes.Buffer
	go func() { done <- serveSHA2Login(ln, key, password, &wire) }()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := Open(ctx, Endpoint{Name: "mysql84", Addr: ln.Addr().String(), User: "mhago", Password: password})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	db.Close()
	if err := <-done; err != nil {
		t.Fatalf("server side: %v", err)
	}
	if bytes.Contains(wire.Bytes(), []byte(password)) {
		t.Error("the password crossed the wire in cleartext")
	}
}

// serveSHA2Login accepts one connection, runs the caching_sha2_password
// full authentication (handshake, fast-auth failure, public key request,
// RSA-encrypted password), then answers every command with OK until
// COM_QUIT. wire receives every byte the client sent.
func serveSHA2Login(ln net.Listener, key *rsa.PrivateKey, password string, wire *bytes.Buffer) error {
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	p := &packetConn{r: io.TeeReader(c, wire), w: c}
	seed := []byte("0123456789abcdefghij")
	steps := []func() error{
		func() error { return p.write(0, handshakeV10(seed)) },
		func() error { _, err := p.read(1); return err },
		func() error { return p.write(2, []byte{0x01, 0x04}) }, // perform full authentication
		func() error { return p.expect(3, []byte{0x02}) },      // request public key
		func() error { return p.write(4, append([]byte{0x01}, publicKeyPEM(key)...)) },
		func() error { return checkEncryptedPassword(p, key, seed, password) },
		func() error { return p.write(6, okPacket) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	for {
		cmd, err := p.read(0)
		if err != nil || cmd[0] == 0x01 { // COM_QUIT
			return nil
		}
		if err := p.write(1, okPacket); err != nil {
			return err
		}
	}
}

func checkEncryptedPassword(p *packetConn, key *rsa.PrivateKey, seed []byte, password string) error {
	enc, err := p.read(5)
	if err != nil {
		return err
	}
	plain, err := rsa.DecryptOAEP(sha1.New(), nil, key, enc, nil)
	if err != nil {
		return fmt.Errorf("password not RSA-encrypted with the server key: %w", err)
	}
	for i := range plain {
		plain[i] ^= seed[i%len(seed)]
	}
	if string(plain) != password+"\x00" {
		return errors.New("decrypted password does not match")
	}
	return nil
}

var okPacket = []byte{0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00}

// handshakeV10 is a MySQL 8.4 server greeting offering caching_sha2_password.
func handshakeV10(seed []byte) []byte {
	var b bytes.Buffer
	b.WriteByte(10)
	b.WriteString("8.4.3\x00")
	b.Write([]byte{1, 0, 0, 0})
	b.Write(seed[:8])
	b.WriteByte(0)
	caps := uint32(0x00000001 | 0x00000200 | 0x00008000 | 0x00080000) // long password, 4.1, secure conn, plugin auth
	binary.Write(&b, binary.LittleEndian, uint16(caps))
	b.WriteByte(255)            // utf8mb4_0900_ai_ci
	b.Write([]byte{0x02, 0x00}) // autocommit
	binary.Write(&b, binary.LittleEndian, uint16(caps>>16))
	b.WriteByte(21)
	b.Write(make([]byte, 10))
	b.Write(seed[8:20])
	b.WriteByte(0)
	b.WriteString("caching_sha2_password\x00")
	return b.Bytes()
}

func publicKeyPEM(key *rsa.PrivateKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// packetConn reads and writes MySQL protocol packets.
type packetConn struct {
	r io.Reader
	w io.Writer
}

func (p *packetConn) write(seq byte, payload []byte) error {
	n := len(payload)
	_, err := p.w.Write(append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...))
	return err
}

func (p *packetConn) read(seq byte) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(p.r, h[:]); err != nil {
		return nil, err
	}
	if h[3] != seq {
		return nil, fmt.Errorf("packet sequence %d, want %d", h[3], seq)
	}
	body := make([]byte, int(h[0])|int(h[1])<<8|int(h[2])<<16)
	_, err := io.ReadFull(p.r, body)
	return body, err
}

func (p *packetConn) expect(seq byte, want []byte) error {
	got, err := p.read(seq)
	if err == nil && !bytes.Equal(got, want) {
		err = fmt.Errorf("packet %d = %x, want %x", seq, got, want)
	}
	return err
}

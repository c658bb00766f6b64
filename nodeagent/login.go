package nodeagent

import (
	"context"
	"errors"

	"github.com/mhago/mhago/nodeagent/proto"
)

// login tries a MySQL login from this host with the host's client, as a
// replica's IO thread would make it. A refused login is a result (with the
// MySQL error number and the client's ERROR line); only failing to run the
// client is an error.
func login(ctx context.Context, req proto.LoginRequest) (proto.Response, error) {
	c, err := newClientConn(req.ClientBindir, req.Workdir, req.Host, req.Port, req.User, req.Password)
	if err != nil {
		return proto.Response{}, err
	}
	defer c.close()
	_, err = c.query(ctx, "SELECT 1")
	var ce *clientError
	switch {
	case errors.As(err, &ce):
		return proto.Response{Login: &proto.LoginResult{ErrorCode: ce.code(), Message: ce.line}}, nil
	case err != nil:
		return proto.Response{}, err
	}
	return proto.Response{Login: &proto.LoginResult{OK: true}}, nil
}

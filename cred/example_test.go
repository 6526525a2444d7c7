package cred_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/braidkit/braid/cred"
	"golang.org/x/crypto/bcrypt"
)

// greeter is the toy avatar of the examples.
type greeter struct{ name string }

func (g *greeter) Greet() string { return "hello, " + g.name }

// A Portal with an in-memory checker and a toy realm.
func ExamplePortal() {
	realm := cred.RealmFunc(func(ctx context.Context, avatarID string, mind any) (any, func(), error) {
		logout := func() { fmt.Println("logout", avatarID) }
		return &greeter{name: avatarID}, logout, nil
	})
	users := cred.NewInMemory(map[string]string{"alice": "wonderland"})
	portal := cred.NewPortal(realm, []cred.Checker{users, cred.AllowAnonymous{}})
	ctx := context.Background()

	avatar, logout, err := portal.Login(ctx, cred.UsernamePassword{Username: "alice", Password: "wonderland"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(avatar.(*greeter).Greet())
	logout()
	logout() // runs the realm's logout only once

	_, _, err = portal.Login(ctx, cred.UsernamePassword{Username: "alice", Password: "rabbit"}, nil)
	fmt.Println(errors.Is(err, cred.ErrUnauthorized))
	_, _, err = portal.Login(ctx, cred.UsernamePassword{Username: "nobody", Password: "rabbit"}, nil)
	fmt.Println(errors.Is(err, cred.ErrUnauthorized))

	avatar, _, _ = portal.Login(ctx, cred.Anonymous{}, nil)
	fmt.Printf("anonymous: %q\n", avatar.(*greeter).name)
	// Output:
	// hello, alice
	// logout alice
	// true
	// true
	// anonymous: ""
}

// A PasswordFile holding a bcrypt hash and a SCRAM verifier.
func ExampleLoadPasswordFile() {
	dir, err := os.MkdirTemp("", "cred-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	hash, _ := bcrypt.GenerateFromPassword([]byte("wonderland"), bcrypt.MinCost)
	verifier, _ := cred.NewVerifier("looking-glass", cred.DefaultSCRAMIterations)
	path := filepath.Join(dir, "passwd")
	content := "# user:hash\n" +
		"alice:" + string(hash) + "\n" +
		"bob:" + verifier.String() + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		fmt.Println(err)
		return
	}

	file, err := cred.LoadPasswordFile(path, cred.PasswordFileOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	for _, c := range []cred.UsernamePassword{
		{Username: "alice", Password: "wonderland"},
		{Username: "bob", Password: "looking-glass"},
		{Username: "bob", Password: "wonderland"},
	} {
		id, err := file.Check(ctx, c)
		fmt.Printf("%s: %q %v\n", c.Username, id, err)
	}

	// A plaintext line is refused unless AllowPlaintext is set.
	os.WriteFile(path, []byte("carol:secret\n"), 0o600)
	fmt.Println(file.Reload() != nil, strings.Contains(fmt.Sprint(file.Reload()), "secret"))
	// Output:
	// alice: "alice" <nil>
	// bob: "bob" <nil>
	// bob: "" cred: unauthorized login
	// true false
}

// The client's answer to a Perspective Broker challenge (pb-wire.md 4.3).
func ExampleMD5Response() {
	challenge, _ := hex.DecodeString("4e2a81224473f7118cf79e771c679718")
	response := cred.MD5Response("secret", challenge)
	fmt.Println(hex.EncodeToString(response))

	creds := cred.MD5Challenge{Username: "user", Challenge: challenge, Response: response}
	fmt.Println(creds.CheckPassword("secret"), creds.CheckPassword("guess"))
	// Output:
	// 2d1fea6ad074bb743e6977671262e346
	// true false
}

// A SCRAM-SHA-256 login: the protocol layer relays the messages between the
// client and the portal's server conversation, then logs in with it.
func ExamplePortal_NewSCRAMServer() {
	realm := cred.RealmFunc(func(ctx context.Context, avatarID string, mind any) (any, func(), error) {
		return &greeter{name: avatarID}, nil, nil
	})
	portal := cred.NewPortal(realm, []cred.Checker{cred.NewInMemory(map[string]string{"alice": "wonderland"})})
	ctx := context.Background()

	client, _ := cred.NewSCRAMClient("alice", "wonderland")
	server := portal.NewSCRAMServer(ctx)
	var fromServer string
	for !client.Done() {
		toServer, err := client.Step(fromServer)
		if err != nil {
			fmt.Println("client:", err)
			return
		}
		if client.Done() {
			break
		}
		if fromServer, err = server.Step(toServer); err != nil {
			fmt.Println("server:", err)
			return
		}
	}
	fmt.Println("server proved itself:", client.Valid())

	avatar, logout, err := portal.Login(ctx, server, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer logout()
	fmt.Println(avatar.(*greeter).Greet())
	// Output:
	// server proved itself: true
	// hello, alice
}

// Making a verifier to store instead of a password.
func ExampleNewVerifier() {
	v, err := cred.NewVerifier("wonderland", cred.DefaultSCRAMIterations)
	if err != nil {
		fmt.Println(err)
		return
	}
	text := v.String()
	fmt.Println(strings.HasPrefix(text, "SCRAM-SHA-256$4096:"))
	back, _ := cred.ParseVerifier(text)
	fmt.Println(back.Check("wonderland"), back.Check("rabbit"))
	// Output:
	// true
	// true false
}

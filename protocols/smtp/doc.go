// Package smtp is Braid's ESMTP server (RFC 5321) and client, with an admin
// object that publishes the server over Perspective Broker.
//
// # Server
//
// A Server takes mail for its local Domains and stores it, through the small
// Deliverer interface, in a mail store: a Maildir on disk or a MemoryStore.
// The store is shared with package pop3 (see below), so mail delivered here
// is what a pop3.Server serves.
//
//	store, _ := smtp.NewMaildir("/var/mail/braid")
//	srv := &smtp.Server{Hostname: "mx.example.org", Store: store, Portal: portal, TLSConfig: tlsConf}
//	go srv.ListenAndServe(ctx, "tcp::25")
//	defer srv.Shutdown(ctx)
//
// Commands: EHLO, HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, VRFY (always
// 252: the server does not reveal whether a user exists), EXPN (502), HELP,
// STARTTLS and AUTH. Extensions announced in EHLO: PIPELINING, SIZE,
// 8BITMIME, ENHANCEDSTATUSCODES (every reply after the greeting carries an
// RFC 3463 code), STARTTLS (RFC 3207, when TLSConfig is set), AUTH PLAIN
// LOGIN (RFC 4954, when a Portal is set, and only over TLS unless
// AllowInsecureAuth) and HELP.
//
// Policy: mail for a local domain is accepted from anyone, for the mailbox
// Resolve names (ErrNoSuchUser gives 550 5.1.1). Mail for any other domain
// is relaying: refused with 550 5.7.1 unless the client has authenticated
// and a Relayer is configured. Authentication goes through a cred.Portal
// (cred.UsernamePassword credentials; failures are throttled per user and
// per address by the Portal); Realm makes a suitable realm.
//
// # Messages are stored whole, and unchanged but for one header
//
// DATA is read into a spool (memory, then a temporary file past 1 MiB),
// with the SIZE limit and the line limit enforced while reading. Only when
// the final "." has arrived is the message handed to the store, and the
// Maildir store writes it to tmp/ and renames it into new/, so a message is
// stored complete or not at all: a client that vanishes mid-DATA, a message
// over SIZE, or a line over the limit leaves nothing behind. The only change
// made to a message is the Received: trace header put on top (RFC 5321
// §4.4, with the RFC 3848 protocol keyword: ESMTP, ESMTPS, ESMTPA, ESMTPSA);
// the rest is stored byte for byte as sent, CRLFs included, after
// dot-unstuffing.
//
// # Limits and bad input
//
//	limit                  default         on violation
//	command/text line      1000 octets     500 5.5.2 Line too long (the line is
//	                       (12288 in AUTH)  discarded, the session continues)
//	message size (SIZE)    25 MiB          552 5.3.4 at MAIL (SIZE=) or after DATA
//	recipients             100             452 4.5.3
//	bad commands           20              421 4.7.0 and close
//	idle                   5 min           421 4.4.2 and close
//
// Out-of-sequence commands get 503 5.5.1 (DATA before RCPT, RCPT before
// MAIL, nested MAIL, AUTH twice), syntax errors 501, malformed AUTH data
// (bad base64, a PLAIN response without its two NULs, an authorization
// identity other than the user) 501 5.5.2, a cancelled AUTH 501 5.0.0,
// wrong credentials 535 5.7.8, AUTH without TLS 538 5.7.11. Commands
// pipelined after STARTTLS are refused and the connection closed
// (CVE-2011-0411). An HTTP request line gets 421 and a close.
//
// Shutdown stops accepting, says 421 4.3.2 to sessions waiting for a
// command, and lets sessions in the middle of DATA finish; Close drops
// everything at once (a message being received is not stored).
//
// # Client
//
// Client speaks to any SMTP server: Dial, Hello, StartTLS, Auth (PLAIN or
// LOGIN), Mail, Rcpt, Data, Quit; SendMail does it all in one call. A
// server's error reply is an *Error with its code and enhanced code.
//
// # Administration
//
// Admin (admin.go) is the server as a PB object: counters, sessions,
// mailboxes, messages(mailbox), message(mailbox, id), delete(mailbox, id)
// and disconnect(sessionId). A Twisted client calls them with callRemote;
// results arrive as lists and dicts.
//
// # Layering: the shared mail store
//
// A protocol never imports another, yet SMTP writes what POP3 reads. The
// store therefore lives in protocols/internal/mailstore, and each protocol
// re-exports it by type alias (smtp.Maildir and pop3.Maildir are the same
// type), so one store value serves both servers and neither package knows
// of the other. SMTP needs only Deliverer to run; its admin object needs the
// full Store (list, open, delete).
//
// # Why not emersion/go-smtp
//
// github.com/emersion/go-smtp is well kept and was considered. Braid writes
// its own server because: HELP, which Braid's issue requires, is answered
// 502 by go-smtp's command switch with no hook to change it; the admin
// object needs each session's protocol state, which go-smtp does not expose;
// Braid wants the same connection core (line limits, pipelined flushing,
// graceful shutdown, session registry for listing and disconnecting) for
// SMTP and POP3 alike, which go-smtp cannot share with a POP3 server; and
// the server's state machine is small enough (about 1,100 lines with AUTH)
// that owning it costs less than adapting around it, and adds no
// dependency (go-smtp and go-sasl).
package smtp

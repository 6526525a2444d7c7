// Package pop3 is Braid's POP3 server (RFC 1939, with the RFC 2449
// extension mechanism) and client, with an admin object that publishes the
// server over Perspective Broker.
//
// # Server
//
// A Server serves the mailboxes of a Store, the same store package smtp
// delivers into (see "The shared mail store" in package smtp): pass the
// value returned by smtp.NewMaildir, or by NewMaildir here, to both.
//
//	srv := &pop3.Server{Store: store, Portal: portal, TLSConfig: tlsConf}
//	go srv.ListenAndServe(ctx, "tcp::110")
//
// Commands: USER/PASS, APOP, STAT, LIST, RETR, DELE, NOOP, RSET, QUIT, TOP,
// UIDL, CAPA and STLS (RFC 2595, when TLSConfig is set). CAPA lists TOP,
// UIDL, RESP-CODES, AUTH-RESP-CODE, PIPELINING, USER (when USER/PASS is
// allowed), STLS (before TLS), EXPIRE NEVER and IMPLEMENTATION. SASL is not
// offered: curl prefers SASL to APOP, and APOP keeps the password off the
// wire without needing TLS.
//
// # Authentication
//
// Logins go through a cred.Portal. USER/PASS presents
// cred.UsernamePassword; it sends the password, so it is refused before
// STLS unless AllowInsecureAuth is set. APOP presents APOP credentials
// (KindAPOP), which APOPChecker verifies: the digest is the hex MD5 of the
// greeting's timestamp followed by the shared secret, compared in constant
// time. The server puts a timestamp ("<pid.nanotime.random@host>", fresh
// for every connection) in its greeting only when its Portal handles
// KindAPOP, i.e. only when it can verify APOP; a client such as curl, which
// uses APOP whenever it sees a timestamp, then succeeds. (Twisted's
// twisted.mail.pop3 compares str with bytes and never accepts APOP; this
// package does.)
//
// APOP needs the plaintext secret on the server. Package cred does not hand
// out passwords, so APOPChecker reads them through the small SecretSource
// interface: Secrets (a map) or LoadSecretsFile, which reads the plaintext
// entries of a cred password file. Users with bcrypt or SCRAM entries can
// only use USER/PASS.
//
// Failed logins answer -ERR [AUTH]; throttled ones (the Portal counts
// failures per user and per address) -ERR [SYS/TEMP].
//
// # Mailbox lock and the UPDATE state
//
// The mailbox (the avatar's name, lower-cased) is locked from login to the
// end of the session; a second session for the same mailbox gets
// -ERR [IN-USE] (RFC 2449), whichever way it authenticates. The lock is
// held within this Server: run one POP3 server per store. The session
// works on a snapshot of the mailbox taken at login: mail delivered later
// appears at the next login. DELE only marks; RSET unmarks; the deletions
// are applied at QUIT (the UPDATE state) and never when the connection drops,
// times out or is closed by an admin or by Shutdown. UIDL is the store's
// message id (the maildir file name without its ":2," flags), stable
// across sessions and across moves between new/ and cur/.
//
// # Wire format
//
// Multi-line responses are dot-stuffed; every line goes out ending in CRLF
// (a stored bare LF is sent as CRLF). Messages delivered by package smtp
// are stored with CRLF, so LIST sizes are exact for them.
//
// # Limits
//
//	limit            default        on violation
//	command line     255 octets     -ERR Line too long (RFC 2449's limit; the
//	                                session continues)
//	bad commands     20             -ERR and close
//	idle             10 min         -ERR and close (RFC 1939's autologout)
//
// # Client
//
// Client speaks to any POP3 server: Dial, Capabilities, StartTLS, Login
// (USER/PASS), APOP, Stat, List, UIDL, Retr, Top, Dele, Rset, Noop, Quit.
// -ERR replies are *Error values carrying the RFC 2449 response code.
//
// # Administration
//
// Admin (admin.go) is the server as a PB object: sessions, mailboxes (with
// sizes, message counts and locks) and disconnect(sessionId).
package pop3

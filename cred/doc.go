// Package cred authenticates clients for Braid, independently of any
// transport. It follows Twisted's twisted.cred: a Portal takes Credentials,
// has a Checker vouch for them, and asks a Realm for the avatar the client
// will talk to. Package pb drives it for Perspective Broker logins; nothing
// here knows about connections or wire formats.
//
// # The triad
//
//   - Credentials are what a client presents. Each kind is a Go type that
//     reports its Kind.
//   - A Checker decides whether credentials of the kinds it handles are good
//     and returns an avatar id (for the checkers here, the username).
//   - A Realm turns an avatar id and the client's mind (what the client
//     passed to login, often a remote reference) into an avatar and a logout
//     function.
//
// Portal.Login ties them together: it routes the credentials by kind to the
// checkers registered for it, in order, the first to accept winning; it
// returns ErrUnauthorized when all refuse and ErrUnhandledCredentials when
// none handles the kind. Then it asks the realm, and wraps the realm's
// logout so that calling it any number of times, from any goroutine, runs it
// exactly once (in PB, logout runs when the avatar's last reference is
// dropped or the connection ends, whichever is first).
//
// A wrong password and an unknown user give the same ErrUnauthorized, never
// saying which. No error, String or log value of this package contains a
// password, and password comparisons take constant time.
//
// # Kinds and checkers
//
//	kind                  credentials        served by
//	username-password     UsernamePassword   InMemory, PasswordFile
//	md5-challenge         MD5Challenge       InMemory, PasswordFile (plaintext entries, AllowPlaintext)
//	scram-sha-256         *SCRAMServer       InMemory, PasswordFile (SCRAM and plaintext entries)
//	ssh-public-key        SSHPublicKey       AuthorizedKeys
//	anonymous             Anonymous          AllowAnonymous (avatar id AnonymousID)
//
// PasswordFile reads htpasswd-style "user:hash" lines holding bcrypt hashes
// or SCRAM verifiers, and plaintext passwords only when asked to.
// AuthorizedKeys reads OpenSSH authorized_keys files.
//
// # The MD5 challenge (Twisted PB)
//
// A Twisted PB client logs in with a challenge/response: the server sends 16
// random bytes (NewChallenge) and the client answers MD5(MD5(password) ||
// challenge) (MD5Response); MD5Challenge carries the answer. Checking it
// needs the plaintext password, or its raw MD5, on the server. A store that
// keeps only bcrypt hashes or SCRAM verifiers therefore cannot serve Twisted
// clients, and a Portal over it answers them with ErrUnhandledCredentials,
// as Twisted itself does for a hashed FilePasswordDB. The exchange also lets
// an eavesdropper test password guesses offline; prefer SCRAM between Braid
// peers.
//
// # SCRAM-SHA-256
//
// Between Braid peers, logins use SCRAM-SHA-256 (RFC 5802, RFC 7677): the
// server stores only a salted Verifier (NewVerifier; text form
// "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>", as in
// PostgreSQL), the password never crosses the wire, each side proves itself
// to the other, and a recorded exchange cannot be replayed. The exchange
// itself is done by github.com/xdg-go/scram.
//
// The protocol layer relays messages between a SCRAMClient and the
// SCRAMServer from Portal.NewSCRAMServer; the server conversation looks up
// the user's verifier through the Portal's checkers that implement
// SCRAMSource. A user no checker knows still gets a well-formed
// server-first message (a stand-in verifier whose salt is stable per user)
// and fails only at the proof, so users cannot be enumerated. Once the
// conversation is Valid, the SCRAMServer itself is the credentials the
// protocol layer passes to Portal.Login, so SCRAM logins get avatars,
// throttling and logout exactly like every other kind. A conversation logs
// in once. Verifiers use DefaultSCRAMIterations (4096) PBKDF2 iterations
// unless told otherwise.
//
// # Throttling
//
// A Portal throttles repeated failures by default (ThrottleConfig). Failures
// are counted per username and per source address, the address the protocol
// layer stores in the context with WithSource. After Threshold failures (20)
// a key is blocked for BaseDelay (1 s), doubling with each further failure
// up to MaxDelay (5 min); while blocked, attempts are refused with
// ErrThrottled before any checker runs, even with the right password. A
// throttled login is a refused login: ErrThrottled wraps ErrUnauthorized, so
// errors.Is(err, ErrUnauthorized) holds for it too. A success clears the
// user's count. Keys quiet for Window are forgotten, and each table is
// bounded (MaxEntries, least recently failed evicted first), so cycling
// usernames or addresses cannot exhaust memory. Time comes from an
// injectable Clock; the Portal never sleeps.
package cred

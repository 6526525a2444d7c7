// Package transport turns endpoint strings into network listeners and
// connections. Braid servers and clients name where they listen or connect
// with a string in the spirit of Twisted's endpoint descriptions, and
// Listen and Dial return the standard net types, so anything that serves a
// net.Listener or speaks over a net.Conn works with every transport.
//
// # Endpoint strings
//
//	tcp:HOST:PORT                  plain TCP
//	tls:HOST:PORT[:KEY=VALUE...]   TLS over TCP (options below)
//	unix:/PATH                     a Unix stream socket
//	ws://HOST:PORT/PATH            WebSocket, binary frames as a byte stream
//	wss://HOST:PORT/PATH[?KEY=VALUE&...]  WebSocket over TLS (same options)
//
// HOST may be a name, an IPv4 address or an IPv6 address in brackets
// ("tcp:[::1]:8787"). It may be empty when listening ("tcp::8787"), which
// means every interface; when dialing an empty host means the local
// system. PORT is a decimal number, 0 to 65535; 0 when listening picks a
// free port (see EndpointOf). ws and wss URLs may leave the port out (80
// and 443) and the path (/).
//
// # TLS options
//
// tls takes options after the address as ":key=value" pairs, Twisted style;
// wss takes the same options as a URL query, "?key=value&key=value", whose
// values are URL-decoded (write a '+' or '&' in a file name as %2B, %26).
// In tls values a ':' or '\' is written "\:" or "\\" (as in Twisted), so
// that Windows paths such as C\:\\certs\\server.pem can be given.
//
//	option      listen                          dial
//	cert=FILE   PEM certificate chain, required  client certificate (with key)
//	key=FILE    PEM private key, required        client private key (with cert)
//	ca=FILE     PEM roots for client certs       PEM roots for the server
//	                                             (default: the system roots)
//	clientauth= none | request | require         -
//	            (default: require when ca is
//	            given, else none)
//	servername= -                                name to verify and send as SNI
//	                                             (default: HOST)
//	insecure=   -                                true skips verifying the server:
//	                                             for tests only
//
// clientauth=request asks for a client certificate and verifies it against
// ca if one is sent; require refuses a client without a valid one. Both
// need ca. TLS 1.2 is the minimum version at both ends. An unknown option,
// an option given twice, an option that does not apply (clientauth when
// dialing, servername or insecure when listening) or a malformed value is
// an error wrapping ErrBadEndpoint; a missing or unreadable file is an
// error naming the option and the file (and wrapping the fs error).
// SelfSigned and WriteSelfSigned make a certificate for development.
//
// Examples:
//
//	tls:127.0.0.1:8443:cert=server.pem:key=server.key:ca=ca.pem:clientauth=require
//	tls:example.com:443:ca=ca.pem:cert=client.pem:key=client.key
//	tls:[::1]:8443:ca=ca.pem:servername=example.com
//	wss://127.0.0.1:8443/pb?cert=server.pem&key=server.key
//	wss://example.com/pb?ca=ca.pem
//
// A tls Dial completes the handshake before it returns, so a server whose
// certificate does not verify is refused there. (With TLS 1.3 a server that
// refuses the client's certificate says so only after the client's
// handshake is done, so the client sees that error on its first Read.) A
// tls listener hands out *tls.Conn connections whose handshake runs on the
// first Read or Write, so a slow client never blocks Accept.
//
// # Unix sockets
//
// Listening on a Unix socket whose file already exists removes the file
// and listens again only if the file is a socket and nothing accepts
// connections on it (a connection attempt is refused), which is what a
// server that crashed leaves behind. A socket in use, or a file that is not
// a socket, is an error. Closing the listener removes the file.
//
// # WebSockets
//
// A ws or wss connection carries the byte stream in binary WebSocket
// messages: each Write sends one binary message, and Read returns the bytes
// of the incoming messages in order, a Read spanning message boundaries as
// a TCP read spans segments. A text message is a protocol error (the
// connection is closed with status 1003). Close sends a close frame (1000,
// normal closure) and closes the connection; a Read that meets the peer's
// normal close returns io.EOF, and io.ErrUnexpectedEOF if the TCP
// connection ended without a close frame. Deadlines work as on any
// net.Conn and may be set from any goroutine; a Read or Write that times
// out returns an error wrapping os.ErrDeadlineExceeded, but unlike TCP it
// leaves the WebSocket connection broken (the WebSocket library keeps the
// error), so use deadlines to bound a connection, not to poll it.
//
// Listen for ws or wss starts an http.Server on HOST:PORT that upgrades
// requests for exactly PATH (other paths get 404) and hands the connections
// out through the listener's Accept; the listener's Close stops the server
// and waits for its goroutines, and closes any upgraded connection not yet
// accepted. The server checks the Origin header the way browsers expect
// (a cross-origin browser page cannot connect); clients other than
// browsers send no Origin and are not affected. HTTP-level errors from
// clients (bad requests, failed TLS handshakes) are not logged. No HTTP
// proxy is used when dialing, and no compression is negotiated.
//
// # Addresses
//
// tcp and unix listeners return the net package's addresses. tls, ws and
// wss listeners return an *Addr, whose Network is the scheme, so that
// EndpointOf(l.Addr()) gives an endpoint string a client can dial (without
// the options: a client adds its own ca=, servername= and so on).
// Connections report their TCP addresses.
package transport

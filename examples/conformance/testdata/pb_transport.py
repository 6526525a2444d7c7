"""Transport options shared by the Twisted test peers: TCP, TLS, Unix sockets.

This is a helper module for twisted_server.py, twisted_client.py,
twisted_login_server.py and twisted_login_client.py; it is not run on its
own.  It only adds command-line options and turns them into the ordinary
Twisted calls a real application would make:

* plain TCP: ``reactor.listenTCP`` / ``reactor.connectTCP`` (the default,
  unchanged);
* TLS: ``reactor.listenSSL`` with a ``twisted.internet.ssl.CertificateOptions``
  built from a ``PrivateCertificate``, and ``reactor.connectSSL`` with
  ``twisted.internet.ssl.optionsForClientTLS`` (which verifies the server's
  certificate and its host name or IP address);
* Unix sockets: ``reactor.listenUNIX`` / ``reactor.connectUNIX``.

TLS needs pyOpenSSL and service_identity (Debian: python3-openssl and
python3-service-identity, both hard dependencies of python3-twisted).
"""

import re

from twisted.internet import error, reactor
from twisted.spread import pb

_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----\r?\n.+?\r?\n-----END CERTIFICATE-----", re.DOTALL)


def _ssl():
    # Imported only when TLS is asked for, so that plain TCP and Unix sockets
    # never depend on pyOpenSSL.
    from twisted.internet import ssl
    return ssl


def _read(path, what):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise ValueError("cannot read %s %s: %s" % (what, path, exc.strerror or exc))


def load_certificates(path, what="certificate file"):
    """Every certificate in a PEM file, in order, as twisted.internet.ssl.Certificate."""
    ssl = _ssl()
    data = _read(path, what)
    blocks = _PEM_CERTIFICATE.findall(data)
    if not blocks:
        raise ValueError("%s %s holds no PEM certificate" % (what, path))
    try:
        return [ssl.Certificate.loadPEM(block) for block in blocks]
    except Exception as exc:
        raise ValueError("%s %s: bad certificate: %s" % (what, path, exc))


def load_private_certificate(cert_path, key_path):
    """(PrivateCertificate, [extra chain certificates]) from PEM files.

    The certificate file starts with the leaf certificate; any further
    certificates in it are sent as the rest of the chain.  The key file holds
    the matching unencrypted private key.
    """
    ssl = _ssl()
    certificates = load_certificates(cert_path, "certificate file")
    key_data = _read(key_path, "key file")
    from OpenSSL import crypto

    def no_passphrase(*_):
        # Never let OpenSSL prompt on a terminal for an encrypted key.
        raise ValueError("encrypted private keys are not supported")

    try:
        key = ssl.KeyPair(crypto.load_privatekey(crypto.FILETYPE_PEM, key_data,
                                                 passphrase=no_passphrase))
    except Exception as exc:
        raise ValueError("key file %s: cannot load an unencrypted PEM private key: %s"
                         % (key_path, exc))
    try:
        private = ssl.PrivateCertificate.fromCertificateAndKeyPair(certificates[0], key)
    except Exception as exc:
        raise ValueError("certificate %s and key %s: %s" % (cert_path, key_path, exc))
    return private, certificates[1:]


# ----------------------------------------------------------------------
# servers


def add_server_options(parser):
    group = parser.add_argument_group(
        "transport",
        "Default: plain TCP on 127.0.0.1.  --tls-cert/--tls-key: TLS on "
        "127.0.0.1 (still prints PORT <n>).  --unix: a Unix socket (prints "
        "UNIX <path> instead).")
    group.add_argument("--tls-cert", metavar="CERT.pem",
                       help="serve TLS with this PEM certificate (leaf first, "
                            "then any intermediates); needs --tls-key")
    group.add_argument("--tls-key", metavar="KEY.pem",
                       help="the unencrypted PEM private key of --tls-cert")
    group.add_argument("--tls-ca", metavar="CA.pem",
                       help="ask clients for a certificate and verify it against "
                            "the CA certificate(s) in this PEM file; a client "
                            "that sends none is still accepted unless "
                            "--tls-require-client-cert is given")
    group.add_argument("--tls-require-client-cert", action="store_true",
                       help="refuse TLS clients without a certificate signed by --tls-ca")
    group.add_argument("--unix", metavar="PATH",
                       help="listen on a Unix socket at PATH instead of TCP "
                            "(the file must not exist; it is removed on exit)")


def check_server_options(parser, args):
    """Reject inconsistent transport options with a usage error (exit 2)."""
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    tls = args.tls_cert is not None
    if args.tls_ca is not None and not tls:
        parser.error("--tls-ca needs --tls-cert and --tls-key")
    if args.tls_require_client_cert and args.tls_ca is None:
        parser.error("--tls-require-client-cert needs --tls-ca")
    if args.unix is not None:
        if tls:
            parser.error("--unix cannot be combined with the --tls-* options")
        if args.port is not None:
            parser.error("--unix cannot be combined with --port")
        if not args.unix:
            parser.error("--unix needs a non-empty path")
    if tls:
        try:
            args.tls_server_options = server_tls_options(args)
        except ValueError as exc:
            parser.error(str(exc))


def server_tls_options(args):
    """A CertificateOptions for the server side of TLS."""
    ssl = _ssl()
    private, chain = load_private_certificate(args.tls_cert, args.tls_key)
    kwargs = {}
    if args.tls_ca is not None:
        authorities = load_certificates(args.tls_ca, "CA file")
        kwargs = dict(verify=True,
                      caCerts=[c.original for c in authorities],
                      requireCertificate=args.tls_require_client_cert)
    return ssl.CertificateOptions(
        privateKey=private.privateKey.original,
        certificate=private.original,
        extraCertChain=[c.original for c in chain],
        **kwargs)


def listen(args, factory):
    """Start listening as the options say; returns the line to print on stdout.

    ``PORT <n>`` for TCP and TLS (both on 127.0.0.1), ``UNIX <path>`` for a
    Unix socket (the path exactly as given).
    """
    if args.unix is not None:
        reactor.listenUNIX(args.unix, factory)
        return "UNIX %s" % (args.unix,)
    port_number = 0 if args.port is None else args.port
    if args.tls_cert is not None:
        port = reactor.listenSSL(port_number, factory, args.tls_server_options,
                                 interface="127.0.0.1")
    else:
        port = reactor.listenTCP(port_number, factory, interface="127.0.0.1")
    return "PORT %d" % (port.getHost().port,)


def describe_server(args):
    """A short note for stderr about a non-default transport, or None."""
    if args.unix is not None:
        return "Unix socket %s" % (args.unix,)
    if args.tls_cert is not None:
        if args.tls_ca is None:
            clients = "no client certificates"
        elif args.tls_require_client_cert:
            clients = "client certificates required"
        else:
            clients = "client certificates verified if sent"
        return "TLS (%s)" % (clients,)
    return None


# ----------------------------------------------------------------------
# clients

CLIENT_USAGE = "(HOST PORT | --unix PATH)"


def add_client_options(parser):
    """HOST PORT (optional with --unix) and the transport options."""
    parser.add_argument("host", nargs="?", metavar="HOST",
                        help="server address (TCP or TLS); omit with --unix")
    parser.add_argument("port", nargs="?", type=int, metavar="PORT",
                        help="server port (TCP or TLS); omit with --unix")
    group = parser.add_argument_group(
        "transport",
        "Default: plain TCP to HOST PORT.  --tls-ca: TLS to HOST PORT.  "
        "--unix: a Unix socket instead of HOST PORT.")
    group.add_argument("--tls-ca", metavar="CA.pem",
                       help="connect with TLS and verify the server's certificate "
                            "against the CA certificate(s) in this PEM file")
    group.add_argument("--tls-hostname", metavar="NAME",
                       help="the name (DNS name or IP address) the server's "
                            "certificate must carry (default: HOST)")
    group.add_argument("--tls-cert", metavar="CERT.pem",
                       help="present this PEM client certificate (needs --tls-key)")
    group.add_argument("--tls-key", metavar="KEY.pem",
                       help="the unencrypted PEM private key of --tls-cert")
    group.add_argument("--unix", metavar="PATH",
                       help="connect to the Unix socket at PATH (no HOST PORT)")


def check_client_options(parser, args):
    """Reject inconsistent transport options with a usage error (exit 2)."""
    if args.unix is not None:
        if args.host is not None:
            parser.error("--unix replaces HOST PORT; give one or the other")
        if not args.unix:
            parser.error("--unix needs a non-empty path")
        if args.tls_ca or args.tls_cert or args.tls_key or args.tls_hostname:
            parser.error("--unix cannot be combined with the --tls-* options")
        return
    if args.host is None or args.port is None:
        parser.error("HOST and PORT are required (or --unix PATH)")
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    if args.tls_ca is None:
        if args.tls_cert is not None or args.tls_hostname is not None:
            parser.error("--tls-cert, --tls-key and --tls-hostname need --tls-ca "
                         "(which turns TLS on)")
        return
    try:
        args.tls_client_options = client_tls_options(args)
    except ValueError as exc:
        parser.error(str(exc))


def client_tls_options(args):
    """optionsForClientTLS: verify the server against --tls-ca and the name."""
    ssl = _ssl()
    authorities = load_certificates(args.tls_ca, "CA file")
    hostname = args.tls_hostname if args.tls_hostname is not None else args.host
    client_certificate = None
    extra = {}
    if args.tls_cert is not None:
        client_certificate, chain = load_private_certificate(args.tls_cert, args.tls_key)
        if chain:
            extra["extraCertificateOptions"] = {
                "extraCertChain": [c.original for c in chain]}
    return ssl.optionsForClientTLS(
        hostname,
        trustRoot=ssl.trustRootFromCertificates(authorities),
        clientCertificate=client_certificate,
        **extra)


class TLSBroker(pb.Broker):
    """A pb.Broker that remembers why its TLS connection was lost.

    Only the wrapped protocol hears the TLS layer's reason (certificate
    verify failed, the server's "certificate required" alert, a host name
    mismatch); the factory is told just ConnectionDone.  Keeping the reason
    lets the client's ERROR line say why it could not connect.  Nothing on
    the wire changes.
    """

    def connectionLost(self, reason):
        if self.factory is not None:
            self.factory.tls_lost_reason = reason
        pb.Broker.connectionLost(self, reason)


def connect(args, factory, timeout):
    """Connect factory (a PBClientFactory) to the server the options name.

    PB's getRootObject only fires once the server's Banana dialect list has
    arrived, and a TLS server sends it only after a successful handshake
    (including its check of the client certificate, even with TLS 1.3).  So
    a refused handshake fails getRootObject, and the client exits 2.
    """
    if args.unix is not None:
        return reactor.connectUNIX(args.unix, factory, timeout=timeout)
    if args.tls_ca is not None:
        factory.protocol = TLSBroker
        return reactor.connectSSL(args.host, args.port, factory,
                                  args.tls_client_options, timeout=timeout)
    return reactor.connectTCP(args.host, args.port, factory, timeout=timeout)


def describe_target(args):
    """Where the client connects, for ERROR lines."""
    if args.unix is not None:
        return "unix:%s" % (args.unix,)
    if args.tls_ca is not None:
        return "%s:%d (TLS)" % (args.host, args.port)
    return "%s:%d" % (args.host, args.port)


def describe_connect_error(factory, exc):
    """repr(exc), plus the TLS layer's reason when that is what failed."""
    text = repr(exc)
    reason = getattr(factory, "tls_lost_reason", None)
    if reason is not None and not reason.check(error.ConnectionDone,
                                               error.ConnectionLost):
        text += "; TLS: %s: %s" % (reason.type.__name__, reason.getErrorMessage())
    return text

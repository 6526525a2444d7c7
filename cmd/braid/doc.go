// Command braid runs Braid servers and talks to Perspective Broker servers,
// Braid's or Twisted's: Twisted's twistd and manhole, and grpcurl, in one
// command.
//
//	braid serve [--config FILE] [--admin ENDPOINT] [--data DIR] [--listen NAME=ENDPOINT]... [--log-level LEVEL]
//	braid shell [-u USER | -anonymous] [-c STATEMENTS] [-k] [-timeout D] [-v] ENDPOINT
//	braid call  [-u USER | -anonymous] [--json] [-timeout D] [-v] ENDPOINT METHOD [ARG | NAME=ARG]...
//	braid help  [serve | shell | call | literals]
//
// Endpoints are transport strings: tcp:HOST:PORT, unix:/path (see package
// transport). Flags take one dash or two, and may come before or after
// ENDPOINT; for call they must come before METHOD, so that arguments such
// as -1 stay arguments.
//
// # braid serve
//
// Runs the configured services and the admin PB endpoint. Without --config
// it runs the embedded default (braid help serve prints it):
//
//   - the admin PB endpoint on tcp:127.0.0.1:8789: a cred login portal
//     (pb.LoginRoot). The user "admin" has the password in
//     $BRAID_ADMIN_PASSWORD or, when that is unset, a random one printed
//     once on stderr as "admin password: ...";
//   - a SQLite database, ./braid-data/braid.db (the data directory is
//     created);
//   - the demo service on tcp:127.0.0.1:8788: a PB root with echo, add,
//     fail, child (named cells with set/get), children, now and sleep.
//
// An avatar with the admin role reaches every admin object by calling the
// method of its name: root.server() (status, services, config, reload,
// setLogLevel), root.db() (the pool's facade: runQuery, runOperation,
// runInteraction, ...) and one per service (root.demo(): stats, children,
// reset, root; root.smtp() and root.pop3(): the protocols' admin objects);
// root.objects() lists them. Other users see only whoami
// and roles.
//
// The configuration file is YAML; every key, with its default:
//
//	data: ./braid-data             # data directory, created
//	log: {level: info, format: text}   # debug|info|warn|error; text|json
//	shutdown_timeout: 10s          # how long in-flight calls may finish on SIGINT/SIGTERM
//	admin:
//	  listen: tcp:127.0.0.1:8789   # "" or off: no admin endpoint
//	  users:                       # password, password_env, or generate: true
//	    - {name: admin, password_env: BRAID_ADMIN_PASSWORD, generate: true, roles: [admin]}
//	  password_file: ""            # htpasswd-style users (bcrypt, SCRAM verifiers)
//	  allow_plaintext: false       # plaintext entries in password_file (Twisted's MD5 login needs them)
//	  roles: {}                    # user: [roles], for users of the password file
//	db:
//	  dsn: "sqlite:{data}/braid.db"    # anything db.Open takes; "" for none
//	services:                      # name: letters, digits, _ (admins call root.NAME())
//	  - {name: demo, type: demo, listen: "tcp:127.0.0.1:8788"}
//	  - name: smtp                 # protocols/smtp: mail for the domains into the maildir
//	    type: smtp
//	    listen: "tcp:127.0.0.1:2525"
//	    hostname: mx.example.org   # default: the machine's name
//	    domains: [example.org]     # default: hostname and localhost
//	    maildir: "{data}/mail"     # the default; shared with pop3
//	    password_file: ""          # mail users, for AUTH (smtp) and logins (pop3, required)
//	    allow_plaintext: false
//	    allow_insecure_auth: false # passwords without TLS (no TLS is configured yet)
//	  - {name: pop3, type: pop3, listen: "tcp:127.0.0.1:1110", password_file: mailusers}
//
// Logs go to stderr through log/slog; each listener logs
// "msg=listening service=NAME endpoint=ENDPOINT" with the port it got (so
// port 0 works), and "msg=ready" follows when everything is up. SIGHUP
// re-reads the file and applies users and passwords, the log level, the
// admin endpoint and the services (added, removed, or restarted when their
// settings changed); data, log.format and db need a restart. A broken file
// is logged and the running configuration kept. SIGINT or SIGTERM stop
// accepting connections, let in-flight calls finish for up to
// shutdown_timeout, cut the rest, and exit 0; a second signal cuts at once.
//
// # braid shell
//
// An interactive shell on a PB server. root is the server's root object,
// or with -u USER the avatar the login returned (the password comes from
// $BRAID_PASSWORD, else a prompt on the terminal). Statements:
//
//	EXPR                  evaluate and print (None is not printed; _ keeps the last result)
//	NAME = EXPR           keep a value, such as a remote reference, in a variable
//	OBJ.METHOD(ARGS)      a remote call; ARGS are values and NAME=VALUE keywords;
//	                      calls chain (root.child("x").get()) and results index (r[0], d["k"])
//	describe OBJ          OBJ's methods, argument types and docs (Braid's introspection
//	                      extension, pb.DescribeMethod; Twisted servers do not answer it)
//	vars                  the variables
//	release VAR...        release the references VAR holds, and forget VAR
//	help [literals]       help
//	quit, exit, Ctrl-D    leave
//
// Values use the literal syntax of package internal/literal (braid help
// literals): Python's literals for every Jelly type. Results print in it,
// pretty-printed to the terminal's width; remote references print as
// <ref N>, numbered per session.
//
// On a terminal the shell edits lines with golang.org/x/term (arrows,
// Ctrl-A/E/K/U/W, Up/Down through the history), keeps the history in
// ~/.braid_history ($BRAID_HISTORY names another file; set it empty to
// keep none), and completes with Tab: method names after "var." (from
// describe) and variable, built-in and statement names elsewhere; an
// ambiguous prefix lists the candidates. Ctrl-C abandons the line being
// typed, or interrupts the calls of the running statement. A statement
// continues over lines while a bracket is open ("... " prompt).
//
// When standard input is not a terminal (or with -c), the shell runs it as
// a script: one statement per line (or more while brackets are open, #
// comments allowed), each result printed on stdout, errors on stderr as
// "error: line N: module.Type: message". The first failed statement stops
// the script with exit status 1; with -k the script goes on and exits 1 at
// the end. A lost connection always stops it.
//
//	printf 'c = root.child("x")\nc.set(5)\nc.get()\n' | braid shell tcp:127.0.0.1:8788
//
// # braid call
//
// One call on the root (or, with -u, the avatar): each ARG is one literal,
// NAME=LITERAL passes a keyword argument. The result prints on stdout in
// the literal syntax, which braid reads back as the same value:
//
//	braid call tcp:127.0.0.1:8788 add 2 3                        # 5
//	braid call tcp:127.0.0.1:8788 echo '[1, "a", b"x", (2,), {"k": None}]'
//
// --json prints compact JSON instead, where the value allows it: None null,
// bool, int (any size) and float as numbers, str as a string, bytes as
// base64, list/tuple/set/frozenset as arrays, dict as an object when every
// key is a str or an int, datetime/date/time as ISO 8601 strings,
// timedelta as seconds, Decimal as a number with its exact digits. NaN,
// infinities, remote references, instances and other dict keys have no
// JSON form: the command then fails.
//
// -timeout (default 30s) bounds the whole command.
//
// # Exit status
//
// 0 on success; 1 when a call, statement, login or connection fails (the
// error on stderr, remote failures as "module.Type: message", with the
// remote traceback under -v); 2 for bad flags or arguments (including an
// argument that is not a literal).
//
// # Environment
//
//	BRAID_PASSWORD        password for -u (shell, call) instead of a prompt
//	BRAID_HISTORY         the shell's history file ("" for none)
//	BRAID_ADMIN_PASSWORD  the default configuration's admin password
package main

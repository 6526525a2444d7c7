package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/braidkit/braid/internal/literal"
	"github.com/braidkit/braid/pb"
)

// Prompts of the interactive shell.
const (
	prompt1 = ">>> "
	prompt2 = "... "
)

// historySize is how many lines the history keeps.
const historySize = 1000

// interactive runs the shell on a terminal, with line editing (by
// golang.org/x/term), history and Tab completion.
func (sh *shell) interactive(in *os.File, endpoint string) error {
	fd := int(in.Fd())
	if w, _, err := term.GetSize(fd); err == nil && w > 20 {
		sh.width = w
	}
	var interrupted atomic.Bool
	rw := struct {
		io.Reader
		io.Writer
	}{&ctrlCReader{r: in, hit: &interrupted}, sh.out}
	t := term.NewTerminal(rw, prompt1)
	if w, h, err := term.GetSize(fd); err == nil {
		_ = t.SetSize(w, h)
	}
	hist := openHistory(historyPath())
	defer hist.Close()
	t.History = hist
	t.AutoCompleteCallback = func(line string, pos int, key rune) (string, int, bool) {
		if key != '\t' {
			return "", 0, false
		}
		return sh.complete(line, pos, func(s string) { _, _ = t.Write([]byte(s)) })
	}

	// Ctrl-C while a statement runs (the terminal is not in raw mode then)
	// interrupts its calls instead of ending the shell.
	var cancelMu sync.Mutex
	var cancelCur context.CancelFunc
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	go func() {
		for range sigs {
			cancelMu.Lock()
			if cancelCur != nil {
				cancelCur()
			}
			cancelMu.Unlock()
		}
	}()

	fmt.Fprintf(sh.out, "braid shell: connected to %s. Type help for help, Tab to complete.\n", endpoint)
	var pending strings.Builder
	var lines []string // of the statement being entered
	for {
		if sh.ctx.Err() != nil {
			return &exitError{exitFailed} // SIGTERM
		}
		if gone := sh.connectionGone(); gone != nil {
			fmt.Fprintf(sh.errOut, "error: %v\n", gone)
			return &exitError{exitFailed}
		}
		state, err := term.MakeRaw(fd)
		if err != nil {
			return fmt.Errorf("terminal: %w", err)
		}
		line, err := t.ReadLine()
		_ = term.Restore(fd, state)
		if interrupted.Swap(false) {
			pending.Reset()
			lines = nil
			t.SetPrompt(prompt1)
			fmt.Fprintln(sh.out, "(interrupted)")
			continue
		}
		if errors.Is(err, term.ErrPasteIndicator) {
			err = nil
		}
		if err == io.EOF {
			if pending.Len() > 0 {
				pending.Reset()
				lines = nil
				t.SetPrompt(prompt1)
				fmt.Fprintln(sh.out)
				continue
			}
			fmt.Fprintln(sh.out)
			return nil
		}
		if err != nil {
			return fmt.Errorf("terminal: %w", err)
		}
		pending.WriteString(line)
		pending.WriteByte('\n')
		lines = append(lines, line)
		stmt := pending.String()
		if incomplete(stmt) {
			t.SetPrompt(prompt2)
			continue
		}
		pending.Reset()
		t.SetPrompt(prompt1)
		hist.Record(lines)
		lines = nil

		ctx, cancel := context.WithCancel(sh.ctx)
		cancelMu.Lock()
		cancelCur = cancel
		cancelMu.Unlock()
		err = sh.exec(ctx, stmt)
		cancelMu.Lock()
		cancelCur = nil
		cancelMu.Unlock()
		cancel()
		if err == errQuit {
			return nil
		}
		if err != nil {
			sh.report(err, "")
		}
	}
}

// ctrlCReader turns Ctrl-C typed at the prompt into Enter, and notes it,
// so that the line is abandoned rather than the shell ended (x/term
// returns io.EOF for Ctrl-C).
type ctrlCReader struct {
	r   io.Reader
	hit *atomic.Bool
}

func (c *ctrlCReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == 3 {
			p[i] = '\r'
			c.hit.Store(true)
			n = i + 1 // drop what was typed after it
			break
		}
	}
	return n, err
}

// complete is the Tab completion: method names after "var." (from the
// object's description), else variables, built-ins and, at the start of
// a statement, the statement keywords. A unique match is completed; else
// the common prefix; else the matches are listed through show.
func (sh *shell) complete(line string, pos int, show func(string)) (string, int, bool) {
	prefix := line[:pos]
	i := pos
	for i > 0 && isIdentByte(prefix[i-1]) {
		i--
	}
	word := prefix[i:]
	var cands []string
	suffix := map[string]string{}
	if i > 0 && prefix[i-1] == '.' {
		j := i - 1
		for j > 0 && isIdentByte(prefix[j-1]) {
			j--
		}
		sh.mu.Lock()
		recv, _ := sh.vars[prefix[j:i-1]].(*pb.RemoteReference)
		sh.mu.Unlock()
		if recv == nil {
			return "", 0, false
		}
		ctx, cancel := context.WithTimeout(sh.ctx, 3*time.Second)
		d, err := sh.describeRef(ctx, recv)
		cancel()
		if err != nil {
			return "", 0, false
		}
		for _, m := range d.Methods {
			cands = append(cands, m.Name)
			suffix[m.Name] = "("
		}
	} else {
		sh.mu.Lock()
		for n := range sh.vars {
			cands = append(cands, n)
		}
		sh.mu.Unlock()
		for _, b := range literal.Builtins {
			cands = append(cands, b)
			suffix[b] = "("
		}
		cands = append(cands, "None", "True", "False")
		if strings.TrimSpace(prefix[:i]) == "" {
			for _, k := range shellKeywords {
				cands = append(cands, k)
				suffix[k] = " "
			}
		}
	}
	var matches []string
	seen := map[string]bool{}
	for _, c := range cands {
		if strings.HasPrefix(c, word) && !seen[c] {
			seen[c] = true
			matches = append(matches, c)
		}
	}
	sort.Strings(matches)
	var insert string
	switch {
	case len(matches) == 0:
		return "", 0, false
	case len(matches) == 1:
		insert = matches[0] + suffix[matches[0]]
	default:
		insert = commonPrefix(matches)
		if len(insert) == len(word) {
			show(strings.Join(matches, "  ") + "\n")
			return "", 0, false
		}
	}
	newLine := prefix[:i] + insert + line[pos:]
	return newLine, i + len(insert), true
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func commonPrefix(s []string) string {
	p := s[0]
	for _, x := range s[1:] {
		for !strings.HasPrefix(x, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

// historyPath is $BRAID_HISTORY, or ~/.braid_history; "" keeps no file.
func historyPath() string {
	if p, ok := os.LookupEnv(envHistory); ok {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".braid_history")
}

// fileHistory is the shell's history (term.History), kept in a file that
// each statement is appended to. Its Add, which x/term calls for every
// line read, does nothing: the shell records whole statements instead
// (Record), so that a statement typed over several lines comes back as
// one, and an abandoned line not at all.
type fileHistory struct {
	entries []string // oldest first
	f       *os.File
}

func openHistory(path string) *fileHistory {
	h := &fileHistory{}
	if path == "" {
		return h
	}
	if data, err := os.ReadFile(path); err == nil {
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) != "" {
				h.entries = append(h.entries, sc.Text())
			}
		}
		if len(h.entries) > 2*historySize {
			// Trim the file now and then.
			h.entries = h.entries[len(h.entries)-historySize:]
			_ = os.WriteFile(path, []byte(strings.Join(h.entries, "\n")+"\n"), 0o600)
		}
	}
	if len(h.entries) > historySize {
		h.entries = h.entries[len(h.entries)-historySize:]
	}
	h.f, _ = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	return h
}

// Add implements term.History; see fileHistory.
func (h *fileHistory) Add(string) {}

// Record adds a statement entered as lines: joined into one line when
// that keeps its meaning (no comments), else line by line.
func (h *fileHistory) Record(lines []string) {
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	joined := strings.Join(lines, " ")
	if strings.Contains(joined, "#") && len(lines) > 1 {
		for _, l := range lines {
			h.add(l)
		}
		return
	}
	h.add(joined)
}

func (h *fileHistory) add(entry string) {
	if strings.TrimSpace(entry) == "" {
		return
	}
	if n := len(h.entries); n > 0 && h.entries[n-1] == entry {
		return
	}
	h.entries = append(h.entries, entry)
	if len(h.entries) > historySize {
		h.entries = h.entries[1:]
	}
	if h.f != nil {
		_, _ = h.f.WriteString(entry + "\n")
	}
}

// Len implements term.History.
func (h *fileHistory) Len() int { return len(h.entries) }

// At implements term.History: 0 is the most recent entry.
func (h *fileHistory) At(i int) string { return h.entries[len(h.entries)-1-i] }

func (h *fileHistory) Close() {
	if h.f != nil {
		h.f.Close()
	}
}

// outputWidth is the width results are pretty-printed to on f.
func outputWidth(f *os.File) int {
	if term.IsTerminal(int(f.Fd())) {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 20 {
			return w
		}
	}
	return 80
}

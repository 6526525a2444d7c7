package banana

// vocabWords is the "pb" dialect vocabulary (spec §1.8). The position of a
// word is its VOCAB index; index 0 is unused. The table is read-only.
var vocabWords = [...]string{
	0:  "",
	1:  "None",
	2:  "class",
	3:  "dereference",
	4:  "reference",
	5:  "dictionary",
	6:  "function",
	7:  "instance",
	8:  "list",
	9:  "module",
	10: "persistent",
	11: "tuple",
	12: "unpersistable",
	13: "copy",
	14: "cache",
	15: "cached",
	16: "remote",
	17: "local",
	18: "lcache",
	19: "version",
	20: "login",
	21: "password",
	22: "challenge",
	23: "logged_in",
	24: "not_logged_in",
	25: "cachemessage",
	26: "message",
	27: "answer",
	28: "error",
	29: "decref",
	30: "decache",
	31: "uncache",
}

// VocabSize is the number of slots in the "pb" vocabulary, including the
// unused index 0. Valid indexes are 1 to VocabSize-1.
const VocabSize = len(vocabWords)

const (
	minVocabLen = 4  // "None", "list", "copy"
	maxVocabLen = 13 // "unpersistable", "not_logged_in"
)

// vocabByLen lists, for each word length, the indexes of the words of that
// length, so a lookup compares against at most a handful of candidates.
// It is computed once at package initialisation and never written again.
var vocabByLen = func() (t [maxVocabLen + 1][]uint8) {
	for i := 1; i < len(vocabWords); i++ {
		n := len(vocabWords[i])
		t[n] = append(t[n], uint8(i))
	}
	return t
}()

// VocabIndex reports the "pb" vocabulary index of word, and whether word
// is in the vocabulary at all. It does not allocate.
func VocabIndex(word []byte) (int, bool) {
	if len(word) < minVocabLen || len(word) > maxVocabLen {
		return 0, false
	}
	for _, i := range vocabByLen[len(word)] {
		if string(word) == vocabWords[i] {
			return int(i), true
		}
	}
	return 0, false
}

// vocabIndexString is VocabIndex for a string.
func vocabIndexString(word string) (int, bool) {
	if len(word) < minVocabLen || len(word) > maxVocabLen {
		return 0, false
	}
	for _, i := range vocabByLen[len(word)] {
		if word == vocabWords[i] {
			return int(i), true
		}
	}
	return 0, false
}

// VocabWord returns the "pb" vocabulary word with index i, and whether
// there is one (1 <= i <= 31). The slice is a fresh copy that the caller
// may keep and modify.
func VocabWord(i int) ([]byte, bool) {
	if i <= 0 || i >= len(vocabWords) {
		return nil, false
	}
	return []byte(vocabWords[i]), true
}

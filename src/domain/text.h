/* text.h: the search's normalisation of text, one rule for every backend:
 * what a task's search document and a search query become before the
 * index sees them, so SQLite's FTS5 and PostgreSQL's tsvector compare the
 * same words. Pure: no I/O, no locale. */
#ifndef OPSTASKS_TEXT_H
#define OPSTASKS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* The normalised form of UTF-8 text s: its words, lower case, separated by
 * one space (no space at either end), "" when it has none.
 * - ASCII letters are lowered; digits kept; every other ASCII character
 *   (punctuation, blanks, controls) ends a word.
 * - Latin-1 and Latin Extended-A letters lose their accents (an NFD-like
 *   fold): é à ñ ø → e a n o; ß → ss, æ → ae, œ → oe, ĳ → ij, þ → th.
 *   Turkish: İ I ı i all become i; ş ç ğ ö ü become s c g o u.
 * - Combining marks (U+0300-U+036F) are dropped ("e" + U+0301 is "e");
 *   Latin-1 punctuation and symbols (U+0080-U+00BF, × ÷), general
 *   punctuation and invisible controls (U+2000-U+206F, U+FEFF), ideographic
 *   punctuation (U+3000-U+303F) and variation selectors end a word.
 * - Every other character (Greek, Cyrillic, CJK, ...) is kept as written:
 *   these alphabets are not folded (matched as typed, case and all).
 * - Invalid UTF-8 (stray bytes, overlong forms, surrogates) ends a word.
 * Returns a new string (caller frees), NULL when out of memory; s NULL is "". */
char *text_normalize(const char *s);

/* A search query's words, normalised as above. */
#define TEXT_WORDS_MAX 10
#define TEXT_WORD_CHARS 64                        /* code points per word */
#define TEXT_WORD_SIZE (TEXT_WORD_CHARS * 4 + 1)  /* bytes, with the NUL */
struct text_words {
    int n;
    char w[TEXT_WORDS_MAX][TEXT_WORD_SIZE];
};

enum text_query_err { TEXT_OK, TEXT_NO_WORDS, TEXT_TOO_MANY_WORDS, TEXT_WORD_TOO_LONG };

/* Splits query q into out (normalised words, in order, duplicates kept out).
 * TEXT_OK, or why q cannot be a query: no word at all, more than
 * TEXT_WORDS_MAX words, a word over TEXT_WORD_CHARS code points. */
enum text_query_err text_query_words(const char *q, struct text_words *out);

/* The number of code points of a valid UTF-8 string. */
size_t text_chars(const char *s);

#endif

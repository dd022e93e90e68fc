/* mail.c: the emails' text and HTML (mail.h). Each kind says in one line
 * what happened and links to the task's page; the digest lists overdue
 * tasks, then those due that day. Bodies are 8bit UTF-8 (every SMTP server
 * of this century announces 8BITMIME), lines well under 998 octets since
 * titles are at most 200 characters. */
#include "domain/mail.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "util/buf.h"

static bool is_ascii_clean(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80) return false;
    return true;
}

/* s without control characters (so no header can be injected) */
static void put_header_text(struct buf *b, const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x20 && *s != 0x7f) buf_putc(b, *s);
}

/* A header value: as is when ASCII, else RFC 2047 base64 words (each
 * under 75 characters, cut between UTF-8 sequences). */
static void put_encoded(struct buf *b, const char *s)
{
    struct buf clean = {0};
    put_header_text(&clean, s ? s : "");
    buf_putc(&clean, 0);
    if (clean.oom) {
        b->oom = true;
        buf_free(&clean);
        return;
    }
    if (is_ascii_clean(clean.p)) {
        buf_puts(b, clean.p);
        buf_free(&clean);
        return;
    }
    const unsigned char *p = (const unsigned char *)clean.p;
    size_t len = strlen(clean.p), at = 0;
    bool first = true;
    while (at < len) {
        size_t take = len - at > 39 ? 39 : len - at;
        while (at + take < len && (p[at + take] & 0xC0) == 0x80) take--; /* not inside a sequence */
        char enc[64];
        sodium_bin2base64(enc, sizeof enc, p + at, take, sodium_base64_VARIANT_ORIGINAL);
        if (!first) buf_puts(b, "\r\n ");
        buf_puts(b, "=?UTF-8?B?");
        buf_puts(b, enc);
        buf_puts(b, "?=");
        first = false;
        at += take;
    }
    buf_free(&clean);
}

static void put_html(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': buf_puts(b, "&amp;"); break;
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        case '\'': buf_puts(b, "&#39;"); break;
        case '\r': break;
        case '\n': buf_puts(b, "<br>"); break;
        default: buf_putc(b, *s);
        }
    }
}

/* text without CR (the message's line ends are CRLF, written here) */
static void put_text(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\r') continue;
        if (*s == '\n') buf_puts(b, "\r\n");
        else buf_putc(b, *s);
    }
}

static void task_url(char *out, size_t n, const char *base, const char *id)
{
    snprintf(out, n, "%s/tasks/%s", base, id);
}

static void format_deadline(int64_t ms, char *out, size_t n)
{
    if (!ms) {
        snprintf(out, n, "soon");
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M %Z", &tm);
}

static int count_overdue(const struct mail_content *m)
{
    int k = 0;
    for (int i = 0; i < m->n_tasks; i++)
        if (strcmp(m->tasks[i].due_date, m->day) < 0) k++;
    return k;
}

void mail_subject(const struct mail_content *m, char *out, size_t n)
{
    const char *title = m->task_title ? m->task_title : "";
    if (strcmp(m->kind, "assigned") == 0) snprintf(out, n, "Assigned to you: %s", title);
    else if (strcmp(m->kind, "mentioned") == 0) snprintf(out, n, "You were mentioned: %s", title);
    else if (strcmp(m->kind, "sla_at_risk") == 0) snprintf(out, n, "SLA at risk: %s", title);
    else if (strcmp(m->kind, "digest") == 0) {
        int over = count_overdue(m);
        snprintf(out, n, "Your tasks for %s: %d overdue, %d due today", m->day ? m->day : "", over,
                 m->n_tasks - over);
    } else
        snprintf(out, n, "opstasks");
}

/* The one line that says what happened, without the title. */
static const char *lead_of(const struct mail_content *m, char *buf, size_t n)
{
    const char *who = m->actor_name && m->actor_name[0] ? m->actor_name : "opstasks";
    if (strcmp(m->kind, "assigned") == 0) snprintf(buf, n, "%s assigned a task to you:", who);
    else if (strcmp(m->kind, "mentioned") == 0) snprintf(buf, n, "%s mentioned you in a comment on:", who);
    else {
        char when[64];
        format_deadline(m->sla_due_ms, when, sizeof when);
        snprintf(buf, n, "The SLA deadline of this task is near (%s):", when);
    }
    return buf;
}

static void digest_text(struct buf *b, const struct mail_content *m, bool overdue)
{
    char url[512];
    for (int i = 0; i < m->n_tasks; i++) {
        bool is_over = strcmp(m->tasks[i].due_date, m->day) < 0;
        if (is_over != overdue) continue;
        task_url(url, sizeof url, m->base_url, m->tasks[i].id);
        buf_puts(b, "- ");
        put_text(b, m->tasks[i].title);
        if (overdue) {
            buf_puts(b, " (due ");
            buf_puts(b, m->tasks[i].due_date);
            buf_puts(b, ")");
        }
        buf_puts(b, "\r\n  ");
        buf_puts(b, url);
        buf_puts(b, "\r\n");
    }
}

static void digest_html(struct buf *b, const struct mail_content *m, bool overdue)
{
    char url[512];
    buf_puts(b, "<ul>\r\n");
    for (int i = 0; i < m->n_tasks; i++) {
        bool is_over = strcmp(m->tasks[i].due_date, m->day) < 0;
        if (is_over != overdue) continue;
        task_url(url, sizeof url, m->base_url, m->tasks[i].id);
        buf_puts(b, "<li><a href=\"");
        put_html(b, url);
        buf_puts(b, "\">");
        put_html(b, m->tasks[i].title);
        buf_puts(b, "</a>");
        if (overdue) {
            buf_puts(b, " (due ");
            put_html(b, m->tasks[i].due_date);
            buf_puts(b, ")");
        }
        buf_puts(b, "</li>\r\n");
    }
    buf_puts(b, "</ul>\r\n");
}

char *mail_render(const struct mail_content *m)
{
    bool digest = strcmp(m->kind, "digest") == 0;
    if (!digest && strcmp(m->kind, "assigned") != 0 && strcmp(m->kind, "mentioned") != 0 &&
        strcmp(m->kind, "sla_at_risk") != 0)
        return NULL;
    struct buf b = {0};
    char subject[1024], date[64], url[512], lead[400], boundary[128];
    mail_subject(m, subject, sizeof subject);
    time_t t = (time_t)(m->now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    snprintf(boundary, sizeof boundary, "=_opstasks_%s", m->unique);
    const char *at = strchr(m->from, '@');

    buf_puts(&b, "From: opstasks <");
    put_header_text(&b, m->from);
    buf_puts(&b, ">\r\nTo: ");
    if (m->to_name && m->to_name[0]) {
        /* an ASCII name as a quoted string (without quotes or backslashes
         * of its own), any other as encoded words, which must stand bare */
        struct buf name = {0};
        for (const char *s = m->to_name; *s; s++)
            if (*s != '"' && *s != '\\') buf_putc(&name, *s);
        buf_putc(&name, 0);
        if (name.p && is_ascii_clean(name.p)) {
            buf_putc(&b, '"');
            put_header_text(&b, name.p);
            buf_puts(&b, "\" ");
        } else if (name.p) {
            put_encoded(&b, name.p);
            buf_putc(&b, ' ');
        }
        buf_free(&name);
    }
    buf_putc(&b, '<');
    put_header_text(&b, m->to_email);
    buf_puts(&b, ">\r\nSubject: ");
    put_encoded(&b, subject);
    buf_puts(&b, "\r\nDate: ");
    buf_puts(&b, date);
    buf_puts(&b, "\r\nMessage-ID: <");
    buf_puts(&b, m->unique);
    buf_puts(&b, "@");
    put_header_text(&b, at ? at + 1 : "opstasks");
    buf_puts(&b, ">\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n");
    buf_puts(&b, "Content-Type: multipart/alternative; boundary=\"");
    buf_puts(&b, boundary);
    buf_puts(&b, "\"\r\n\r\n");

    /* the plain text */
    buf_puts(&b, "--");
    buf_puts(&b, boundary);
    buf_puts(&b, "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
    int over = digest ? count_overdue(m) : 0;
    if (digest) {
        if (over) {
            buf_puts(&b, "Overdue:\r\n");
            digest_text(&b, m, true);
            buf_puts(&b, "\r\n");
        }
        if (m->n_tasks - over) {
            buf_puts(&b, "Due today:\r\n");
            digest_text(&b, m, false);
            buf_puts(&b, "\r\n");
        }
    } else {
        task_url(url, sizeof url, m->base_url, m->task_id);
        put_text(&b, lead_of(m, lead, sizeof lead));
        buf_puts(&b, "\r\n\r\n  ");
        put_text(&b, m->task_title);
        buf_puts(&b, "\r\n  ");
        buf_puts(&b, url);
        buf_puts(&b, "\r\n\r\n");
    }
    buf_puts(&b, "-- \r\nSent by opstasks: ");
    buf_puts(&b, m->base_url);
    buf_puts(&b, "/tasks\r\n\r\n");

    /* the HTML */
    buf_puts(&b, "--");
    buf_puts(&b, boundary);
    buf_puts(&b, "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
    buf_puts(&b, "<!doctype html>\r\n<html><head><meta charset=\"utf-8\"><title>");
    put_html(&b, subject);
    buf_puts(&b, "</title></head><body>\r\n");
    if (digest) {
        if (over) {
            buf_puts(&b, "<h2>Overdue</h2>\r\n");
            digest_html(&b, m, true);
        }
        if (m->n_tasks - over) {
            buf_puts(&b, "<h2>Due today</h2>\r\n");
            digest_html(&b, m, false);
        }
    } else {
        buf_puts(&b, "<p>");
        put_html(&b, lead);
        buf_puts(&b, "</p>\r\n<p><a href=\"");
        put_html(&b, url);
        buf_puts(&b, "\">");
        put_html(&b, m->task_title);
        buf_puts(&b, "</a></p>\r\n");
    }
    buf_puts(&b, "<p><small>Sent by <a href=\"");
    put_html(&b, m->base_url);
    buf_puts(&b, "/tasks\">opstasks</a>.</small></p>\r\n</body></html>\r\n");
    buf_puts(&b, "--");
    buf_puts(&b, boundary);
    buf_puts(&b, "--\r\n");
    return buf_take(&b);
}

/* router.c: matches a request's path in the route table its daemon was
 * handed at start (http_start) and runs the row's handler. http/ names no
 * handler: the tables live in the layer above (api/routes.c). The rules:
 * 404 for a path no pattern matches, 405 with Allow for a method its pattern
 * has no row for (HEAD is answered by a GET row), authentication before the
 * match for paths under the table's auth prefix, and the row's own flags. */
#include <stdio.h>
#include <string.h>

#include "http/http.h"

/* True when path matches pattern; the :name segment is copied to param. */
static bool match(const char *pattern, const char *path, char *param, size_t n)
{
    while (*pattern && *path) {
        if (*pattern == ':') {
            while (*pattern && *pattern != '/') pattern++;
            const char *end = strchr(path, '/');
            size_t len = end ? (size_t)(end - path) : strlen(path);
            if (len == 0 || len >= n) return false;
            memcpy(param, path, len);
            param[len] = 0;
            path += len;
            continue;
        }
        if (*pattern != *path) return false;
        pattern++, path++;
    }
    return *pattern == 0 && *path == 0;
}

/* True when path is prefix itself or lies under it ("/ops", "/ops/..."). */
static bool under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && (path[n] == 0 || path[n] == '/');
}

static bool authenticate(struct request *r)
{
    struct errinfo e = {0};
    if (http_authenticate(r, &e) == ERR_OK) return true;
    http_reply_error(r, &e);
    return false;
}

/* The 404 of a path no pattern matches: the table's page for a browser's
 * GET outside the auth prefix, else JSON (also for a path too long to keep,
 * since it cannot be told to be outside the prefix). */
static void reply_not_found(struct request *r, const struct http_route_table *t, const char *method)
{
    if (t->not_found_page && !r->path_too_long && strcmp(method, "GET") == 0 &&
        !(t->auth_prefix && under(r->path, t->auth_prefix)) && t->not_found_page(r))
        return;
    http_reply_err(r, ERR_NOT_FOUND, NULL, "%s", t->not_found ? t->not_found : "no such route");
}

void http_route(struct request *r)
{
    const struct http_route_table *t = r->app->routes;
    const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
    if (r->path_too_long) {
        reply_not_found(r, t, method);
        return;
    }
    /* The first pattern that matches the path wins (literal segments are
     * listed before ":name" ones); its rows' methods are the only ones
     * allowed. Matched before authentication so that the access log names
     * the route of a refused request too. */
    const char *pattern = NULL;
    char param[sizeof r->param];
    for (size_t i = 0; i < t->n && !pattern; i++)
        if (match(t->rows[i].pattern, r->path, param, sizeof param)) pattern = t->rows[i].pattern;
    r->route_pattern = pattern;
    /* Under the prefix even a path that matches nothing wants a token first,
     * so that without one no path there tells whether it exists. */
    if (t->auth_prefix && under(r->path, t->auth_prefix) && !authenticate(r)) return;
    const struct http_route *found = NULL;
    char allow[128] = "";
    for (size_t i = 0; pattern && i < t->n; i++) {
        const struct http_route *row = &t->rows[i];
        if (strcmp(row->pattern, pattern) != 0) continue;
        if (strcmp(row->method, method) == 0) {
            found = row;
            r->metrics_series = r->app->route_series[i];
            memcpy(r->param, param, sizeof param);
            break;
        }
        size_t len = strlen(allow);
        snprintf(allow + len, sizeof allow - len, "%s%s%s", len ? ", " : "", row->method,
                 strcmp(row->method, "GET") == 0 ? ", HEAD" : "");
    }
    if (!found && allow[0]) {
        http_reply_err(r, ERR_METHOD_NOT_ALLOWED, NULL, "%s is not allowed here; use %s", r->method, allow);
        http_add_header(r, MHD_HTTP_HEADER_ALLOW, allow);
        return;
    }
    if (!found) {
        reply_not_found(r, t, method);
        return;
    }
    if ((found->flags & (HTTP_ROUTE_AUTH | HTTP_ROUTE_ADMIN)) && !r->authed && !authenticate(r)) return;
    if ((found->flags & HTTP_ROUTE_ADMIN) && r->token.role != ROLE_ADMIN) {
        http_reply_err(r, ERR_FORBIDDEN, NULL, "this needs an admin token");
        return;
    }
    found->handler(r);
}

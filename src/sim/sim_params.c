/* SPDX-License-Identifier: MIT */
/*
 * sim_params.c - "NAME:key=value,..." policy specifications (see policy.h).
 *
 * The core parses a spec once per job; a policy's init reads the values it
 * knows with sim_param_u64()/sim_param_double(), which mark them used, and
 * sim_params_unused() then names the first one nobody read, so a misspelt
 * parameter is an error and never silently ignored.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_params.h"
#include "sim/policy.h"
#include "vmlab/parse.h"
#include "vmlab/sim.h"

static size_t policy_list(char *buf, size_t size)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; sim_policies[i] && off + 1 < size; i++)
        off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? ", " : "", sim_policies[i]->name);
    return off;
}

int sim_params_parse(const char *spec, sim_params_t *ps, const sim_policy_ops_t **ops, diag_t *d)
{
    const char *colon = strchr(spec, ':'), *s;
    size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
    char names[1024];

    memset(ps, 0, sizeof *ps);
    *ops = sim_policy_find(spec, nlen);
    if (!*ops) {
        policy_list(names, sizeof names);
        return diag_set(d, NULL, 0, EINVAL, "unknown policy '%.*s' (expected one of %s)",
                        (int)(nlen > 64 ? 64 : nlen), spec, names);
    }
    snprintf(ps->name, sizeof ps->name, "%s", (*ops)->name);
    if (!colon)
        return 0;
    s = colon + 1;
    for (;;) {
        const char *end = strchr(s, ','), *eq;
        size_t len = end ? (size_t)(end - s) : strlen(s), klen, vlen;
        eq = memchr(s, '=', len);
        if (!eq || eq == s || eq + 1 == s + len)
            return diag_set(d, NULL, 0, EINVAL,
                            "policy %s: malformed parameter '%.*s' (expected key=value)", ps->name,
                            (int)(len > 64 ? 64 : len), s);
        klen = (size_t)(eq - s);
        vlen = len - klen - 1;
        if (ps->n == SIM_MAX_PARAMS || klen >= sizeof ps->key[0] || vlen >= sizeof ps->val[0])
            return diag_set(d, NULL, 0, EINVAL,
                            "policy %s: parameter '%.*s' too long or too many (expected at most "
                            "%d, keys < 32 and values < 64 characters)",
                            ps->name, (int)(len > 64 ? 64 : len), s, SIM_MAX_PARAMS);
        memcpy(ps->key[ps->n], s, klen);
        memcpy(ps->val[ps->n], eq + 1, vlen);
        for (unsigned i = 0; i < ps->n; i++)
            if (strcmp(ps->key[i], ps->key[ps->n]) == 0)
                return diag_set(d, NULL, 0, EINVAL, "policy %s: parameter '%s' given twice",
                                ps->name, ps->key[i]);
        ps->n++;
        if (!end)
            break;
        s = end + 1;
    }
    return 0;
}

static int param_find(sim_params_t *ps, const char *key)
{
    for (unsigned i = 0; i < ps->n; i++)
        if (strcmp(ps->key[i], key) == 0) {
            ps->used[i] = 1;
            return (int)i;
        }
    return -1;
}

int sim_param_u64(sim_params_t *ps, const char *key, uint64_t def, uint64_t min, uint64_t max,
                  uint64_t *out, diag_t *d)
{
    int i = param_find(ps, key);
    uint64_t v;
    if (i < 0) {
        *out = def;
        return 0;
    }
    if (parse_size(ps->val[i], &v) || v < min || v > max)
        return diag_set(d, NULL, 0, EINVAL, "policy %s: %s=%s is not valid (expected %ju..%ju)",
                        ps->name, key, ps->val[i], (uintmax_t)min, (uintmax_t)max);
    *out = v;
    return 0;
}

int sim_param_double(sim_params_t *ps, const char *key, double def, double min, double max,
                     double *out, diag_t *d)
{
    int i = param_find(ps, key);
    char *end;
    double v;
    if (i < 0) {
        *out = def;
        return 0;
    }
    errno = 0;
    v = strtod(ps->val[i], &end);
    if (errno || end == ps->val[i] || *end || !isfinite(v) || v < min || v > max)
        return diag_set(d, NULL, 0, EINVAL, "policy %s: %s=%s is not valid (expected %g..%g)",
                        ps->name, key, ps->val[i], min, max);
    *out = v;
    return 0;
}

int sim_params_unused(const sim_params_t *ps, const sim_policy_ops_t *ops, diag_t *d)
{
    for (unsigned i = 0; i < ps->n; i++)
        if (!ps->used[i])
            return diag_set(d, NULL, 0, EINVAL, "policy %s has no parameter '%s' (expected %s)",
                            ps->name, ps->key[i],
                            ops->params && *ops->params ? ops->params : "no parameters");
    return 0;
}

static size_t policy_count(void)
{
    size_t n = 0;
    while (sim_policies[n])
        n++;
    return n;
}

const char *sim_policy_name(size_t i)
{
    return i < policy_count() ? sim_policies[i]->name : NULL;
}

const char *sim_policy_summary(size_t i)
{
    return i < policy_count() ? sim_policies[i]->summary : NULL;
}

const char *sim_policy_params(size_t i)
{
    return i < policy_count() ? (sim_policies[i]->params ? sim_policies[i]->params : "") : NULL;
}

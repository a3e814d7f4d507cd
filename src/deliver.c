/*
 * deliver.c — a finished message to the configured server (see
 * deliver.h).  The password is fetched only now, after every input was
 * read, and wiped as soon as the session no longer needs it.
 */
#include <stdlib.h>
#include <string.h>

#include "credentials.h"
#include "deliver.h"
#include "spool.h"
#include "xmalloc.h"

int
deliver(const struct job *job, struct smtp_result *r, struct failure *f)
{
	const struct settings *set = job->set;
	struct smtp_params p;
	struct smtp_envelope env;
	const char **rcpts;
	char *password = NULL;
	size_t i;
	int rc;

	memset(r, 0, sizeof(*r));
	if (set->host == NULL)
		return failure_set(f, F_CONFIG, "no SMTP server configured: "
		    "set smtp=host:port in your outboxrc");
	if (set->user != NULL && set->auth != AUTH_NONE &&
	    (password = credentials_get(set, f)) == NULL)
		return -1;

	memset(&p, 0, sizeof(p));
	p.host = set->host;
	p.port = set->port;
	p.security = set->security;
	p.auth = set->auth;
	p.user = password ? set->user : NULL;
	p.password = password;
	p.ca_file = set->ca_file;
	p.fingerprint = set->fingerprint;
	p.helo_name = set->hostname;
	p.timeout = set->timeout;

	rcpts = xreallocarray(NULL, job->rcpts->n, sizeof(*rcpts));
	for (i = 0; i < job->rcpts->n; i++)
		rcpts[i] = job->rcpts->v[i].addr;
	memset(&env, 0, sizeof(env));
	env.from = job->from;
	env.rcpts = rcpts;
	env.nrcpts = job->rcpts->n;
	env.eightbit = job->eightbit;
	env.from_ascii = job->from_ascii;
	env.rcpts_ascii = job->rcpts_ascii;
	env.dsn_notify = job->dsn_notify;
	env.dsn_ret = job->dsn_ret;
	env.dsn_envid = job->dsn_envid;
	env.dsn_required = job->dsn_required;
	if (spool_wire(job->msg, NULL, 1, &env.size, f) == -1) {
		credentials_free(password);
		free(rcpts);
		return -1;
	}
	rc = smtp_submit(&p, &env, job->msg, r, f);
	free(rcpts);
	credentials_free(password);
	return rc;
}

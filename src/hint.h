/*
 * hint.h — what to change, for the failures people actually hit: one
 * table of { step, failure kind, reply code, enhanced status code, text
 * pattern } -> advice, matched against a failure's text ("STEP: what
 * (CODE X.Y.Z server text)").  Pure: no I/O.
 */
#ifndef OUTBOX_HINT_H
#define OUTBOX_HINT_H

#include "failure.h"

/*
 * The advice for f, one line naming the setting to change, or NULL when
 * the table has none (or the text says what to do already).  Static
 * storage.
 */
const char *hint_for(const struct failure *f);

/*
 * The same from the POP3 table, for a failure of the POP3 engine
 * ("STEP: what"); hint_for() uses it itself for a --fetch failure
 * ("fetch ACCOUNT: STEP: what").
 */
const char *hint_for_pop3(const struct failure *f);

#endif

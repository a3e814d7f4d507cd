/* conn.h — placeholder; its owner writes the contract. */
#ifndef OUTBOX_CONN_H
#define OUTBOX_CONN_H
#endif

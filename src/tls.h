/* tls.h — placeholder; its owner writes the contract. */
#ifndef OUTBOX_TLS_H
#define OUTBOX_TLS_H
#endif

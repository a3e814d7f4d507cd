/* net.h — placeholder; its owner writes the contract. */
#ifndef OUTBOX_NET_H
#define OUTBOX_NET_H
#endif

/* mime.h — placeholder; its owner writes the contract. */
#ifndef OUTBOX_MIME_H
#define OUTBOX_MIME_H
#endif

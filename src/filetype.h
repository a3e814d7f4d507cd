/* filetype.h — placeholder; its owner writes the contract. */
#ifndef OUTBOX_FILETYPE_H
#define OUTBOX_FILETYPE_H
#endif

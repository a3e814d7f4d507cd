/* sasl.h — placeholder; its owner writes the contract. */
#ifndef OUTBOX_SASL_H
#define OUTBOX_SASL_H
#endif

#include "spool.h"

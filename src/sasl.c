#include "sasl.h"

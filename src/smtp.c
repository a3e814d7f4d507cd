#include "smtp.h"

#include "wait_status.hpp"
#include "syslab/test.hpp"

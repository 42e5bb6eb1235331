// Lab 13 tests: the sans-I/O pieces: the preface sniff, the h2c Upgrade's rules, the fields.
#include "h2_fields.hpp"
#include "h2c_upgrade.hpp"
#include "protocol_sniffer.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;

SYSLAB_TEST(Sniff, PrefaceDecides, 2, "protocol_sniffer.cpp sniff: compare with kPreface") {
  EXPECT_EQ(h2::sniff("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), h2::Protocol::kHttp2);
}

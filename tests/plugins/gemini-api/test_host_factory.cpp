#include "test_host.hpp"

namespace llmp::plugins::gemini_api::testing {

std::unique_ptr<HostUnderTest> makeHostUnderTest() { return std::make_unique<TestHost>(); }

}  // namespace llmp::plugins::gemini_api::testing

// Boost.JSON and Boost.URL compiled from their headers into the fuzz build,
// instrumented like our code (the main build links the Debian libraries).
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>

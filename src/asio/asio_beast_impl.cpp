// The one translation unit that compiles Boost.Asio (with its SSL layer) and Boost.Beast
// (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION are set
// for the whole project), so no other file pays for their implementation.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>  // native TLS (src/net/tls.hpp)
#include <boost/beast/src.hpp>

// ~350 KB: a C++ application on libstdc++ and newlib: containers, strings,
// string streams with floats, algorithms, exceptions.
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

struct Reading {
  std::string name;
  double value;
};

static double parse(const std::string &s)
{
  std::istringstream in(s);
  double d;
  if (!(in >> d))
    throw std::runtime_error("bad number: " + s);
  return d;
}

int main()
{
  std::vector<Reading> r;
  std::map<std::string, double> sum;
  for (int i = 0; i < 32; i++) {
    std::ostringstream os;
    os.precision(9);
    os << std::sin(i * 0.3) * 100.0;
    r.push_back({"ch" + std::to_string(i % 5), parse(os.str())});
  }
  std::sort(r.begin(), r.end(), [](const Reading &a, const Reading &b) { return a.value < b.value; });
  for (auto &x : r)
    sum[x.name] += x.value;
  std::ostringstream out;
  for (auto &kv : sum)
    out << kv.first << '=' << std::fixed << kv.second << ';';
  try {
    parse(out.str().substr(0, 2));
  } catch (const std::exception &e) {
    return (int)std::string(e.what()).size();
  }
  return 0;
}

// ~1 MB: the large application (large.cpp, as a function) plus a report
// module on more of libstdc++: wide and narrow regular expressions with
// every syntax, locale facets for char and wchar_t (money, time, numbers,
// messages), codecvt, chrono, algorithms over many element types.
#define main large_main
#include "large.cpp"
#undef main
#include <algorithm>
#include <array>
#include <chrono>
#include <codecvt>
#include <cstdint>
#include <forward_list>
#include <memory>
#include <optional>
#include <queue>
#include <stack>
#include <string_view>
#include <tuple>
#include <unordered_set>

template <class C> static std::basic_string<C> report(const std::vector<double> &v)
{
  std::basic_ostringstream<C> o;
  o.imbue(std::locale::classic());
  o << std::fixed << std::setprecision(3);
  for (double x : v)
    o << std::setw(12) << x << std::showpos << std::hexfloat << x << std::defaultfloat;
  std::basic_istringstream<C> in(o.str());
  long double ld;
  in >> ld;
  std::use_facet<std::numpunct<C>>(o.getloc()).decimal_point();
  std::use_facet<std::moneypunct<C, true>>(o.getloc()).curr_symbol();
  std::use_facet<std::time_get<C>>(o.getloc());
  std::use_facet<std::messages<C>>(o.getloc());
  std::use_facet<std::collate<C>>(o.getloc()).hash(o.str().data(), o.str().data() + o.str().size());
  return o.str();
}

template <class C> static size_t match_all(const std::basic_string<C> &s)
{
  using R = std::basic_regex<C>;
  size_t n = 0;
  for (auto f : {std::regex::ECMAScript, std::regex::basic, std::regex::extended, std::regex::awk,
                 std::regex::grep, std::regex::egrep}) {
    R r(s.substr(0, 3), f | std::regex::icase | std::regex::collate);
    std::match_results<typename std::basic_string<C>::const_iterator> m;
    n += std::regex_search(s, m, r) ? m.size() : 0;
    n += std::regex_replace(s, r, s.substr(0, 1)).size();
  }
  return n;
}

template <class T> static T crunch(std::vector<T> v)
{
  std::sort(v.begin(), v.end());
  std::stable_sort(v.rbegin(), v.rend());
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  std::partial_sort(v.begin(), v.begin() + v.size() / 3, v.end());
  std::make_heap(v.begin(), v.end());
  std::sort_heap(v.begin(), v.end());
  std::priority_queue<T> q(v.begin(), v.end());
  std::set<T> s(v.begin(), v.end());
  std::unordered_set<T> u(v.begin(), v.end());
  std::forward_list<T> fl(v.begin(), v.end());
  fl.sort();
  std::stack<T, std::deque<T>> st;
  for (auto &x : v)
    st.push(x);
  return q.top() + *s.begin() + (u.count(v[0]) ? v[0] : T()) + fl.front() + st.top();
}

int main()
{
  int r = large_main();
  std::mt19937_64 g(7);
  std::vector<double> v(64);
  std::uniform_real_distribution<double> ud(-1e3, 1e3);
  std::exponential_distribution<float> ed(1.5f);
  std::weibull_distribution<long double> wd(1.0L, 2.0L);
  std::binomial_distribution<long long> bd(40, 0.25);
  std::lognormal_distribution<double> lnd;
  std::chi_squared_distribution<double> csd(3.0);
  std::cauchy_distribution<float> cd;
  std::fisher_f_distribution<double> fd(2.0, 3.0);
  std::discrete_distribution<short> dd({1, 2, 3, 4});
  std::piecewise_linear_distribution<double> pld;
  for (auto &x : v)
    x = ud(g) + ed(g) + (double)wd(g) + (double)bd(g) + lnd(g) + csd(g) + cd(g) + fd(g) + dd(g) + pld(g);
  std::string s8 = report<char>(v);
  std::wstring s16 = report<wchar_t>(v);
  std::wstring_convert<std::codecvt_utf8<wchar_t>> conv;
  std::string u8 = conv.to_bytes(s16);
  std::wstring back = conv.from_bytes(u8);
  size_t n = match_all(s8) + match_all(back);
  std::vector<int> vi(v.begin(), v.end());
  std::vector<long long> vl(v.begin(), v.end());
  std::vector<float> vf(v.begin(), v.end());
  std::vector<unsigned short> vs(v.begin(), v.end());
  std::vector<std::string> vstr;
  for (int i : vi)
    vstr.push_back(std::to_string(i));
  auto t0 = std::chrono::steady_clock::now();
  double sum = crunch(v) + crunch(vi) + crunch(vl) + crunch(vf) + crunch(vs) + crunch(vstr).size();
  auto dt = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  std::optional<std::tuple<int, std::string_view, std::array<double, 4>>> o;
  o.emplace(1, "x", std::array<double, 4>{1, 2, 3, 4});
  std::unique_ptr<std::map<std::wstring, std::u32string>> um = std::make_unique<std::map<std::wstring, std::u32string>>();
  (*um)[L"k"] = U"v";
  std::wcout << n << L' ' << sum << L' ' << dt.count() << L' ' << std::get<0>(*o) << um->size() << std::endl;
  return r + (int)(n & 1);
}

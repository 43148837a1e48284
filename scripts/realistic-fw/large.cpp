// ~1 MB: a C++ application on libstdc++ and newlib: iostreams, locales,
// wide streams, regular expressions, containers, exceptions.
#include <any>
#include <bitset>
#include <cmath>
#include <functional>
#include <numeric>
#include <valarray>
#include <variant>
#include <complex>
#include <ctime>
#include <deque>
#include <fstream>
#include <list>
#include <random>
#include <set>
#include <iomanip>
#include <iostream>
#include <locale>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

int main()
{
  std::regex kv("([a-z]+)=([0-9.]+)");
  std::wregex wkv(L"([a-z]+)=([0-9.]+)");
  std::string text = "temp=21.5 hum=40.25 press=1013.2";
  std::unordered_map<std::string, double> m;
  for (std::sregex_iterator it(text.begin(), text.end(), kv), e; it != e; ++it)
    m[(*it)[1]] = std::stod((*it)[2]);
  std::wstring wt = L"a=1 b=2";
  std::wsmatch wm;
  std::regex_search(wt, wm, wkv);
  std::wostringstream wos;
  wos.imbue(std::locale::classic());
  wos << std::setw(10) << std::hex << 255 << L' ' << wm.size();
  std::cout << std::setprecision(4) << std::scientific << m["temp"] << ' ' << std::boolalpha << true << '\n';
  std::wcout << wos.str() << std::endl;
  std::map<int, std::string> names;
  for (int i = 0; i < 10; i++)
    names[i] = std::to_string(std::pow(2.0, i));
  std::cerr << names.size() << std::put_money(12345) << std::endl;
  std::mt19937 gen(42);
  std::normal_distribution<double> nd(0.0, 1.0);
  std::gamma_distribution<float> gd(2.0f, 1.5f);
  std::poisson_distribution<int> pd(3.5);
  std::student_t_distribution<long double> td(4.0L);
  std::complex<double> c(nd(gen), gd(gen));
  std::wstringstream ws;
  ws << std::pow(c, 2.5) << L' ' << pd(gen) << L' ' << (double)td(gen);
  std::complex<long double> cl;
  ws >> cl;
  std::tm tm{};
  std::istringstream ts("2026-12-05 02:00:00");
  ts >> std::get_time(&tm, "%Y-%m-%d %H:%M:%S");
  std::wcout << std::put_time(&tm, L"%c") << std::showbase << std::put_money(L"123") << std::endl;
  std::set<std::wstring> ss{ws.str()};
  std::deque<std::list<std::string>> dq(3, std::list<std::string>{"x"});
  std::ofstream f("log.txt");
  f << std::hexfloat << cl.real() << ss.size() << dq.size();
  std::wregex wr(L"\\s+(\\w+)", std::regex::icase | std::regex::ECMAScript);
  std::wstring rep = std::regex_replace(ws.str(), wr, L"[$1]");
  std::regex er("(\\d+)-(\\d+)", std::regex::extended);
  std::smatch sm;
  std::regex_match(text, sm, er);
  std::valarray<double> va(1.5, 16);
  va = std::sqrt(va * va + 1.0);
  std::bitset<128> bs(0xF0F0);
  std::variant<int, double, std::string, std::wstring> var = std::string("v");
  std::any any = std::make_shared<std::vector<std::map<std::string, std::wstring>>>();
  std::function<double(double)> fn = [&](double x) { return std::accumulate(std::begin(va), std::end(va), x); };
  std::visit([&](auto &&v) { std::wostringstream o; o << bs.count() << fn(1.0) << sizeof v; }, var);
  std::unordered_map<std::wstring, std::vector<std::complex<float>>> um;
  um[L"k"].push_back({1.0f, 2.0f});
  std::multimap<long long, std::deque<std::wstring>> mm{{1, {L"a"}}};
  std::wcout << bs.to_string<wchar_t>() << um.size() << mm.size() << any.has_value() << std::endl;
  std::locale loc("");
  return std::use_facet<std::ctype<char>>(loc).is(std::ctype_base::alpha, 'x') ? 0 : 1;
}

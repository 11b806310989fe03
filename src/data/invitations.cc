// Ming's invitation records. Each evening's factors are drawn from fixed distributions, the
// hidden rule below decides whether she accepts, then labels are flipped with probability
// InvitationLabelNoise() and about 3% of temperature and her_mood cells are blanked.
//
// The hidden rule (score > kThreshold means she accepts):
//   +1.0 holiday            +0.8 saturday/sunday      +0.3 friday
//   -3.0 ill                -2.5 other_plans          -1.2 relatives_visiting
//   +0.7 her_mood good      -1.5 her_mood bad         (neutral 0)
//   -0.2 cloudy             -0.9 rainy                -1.8 stormy
//   venue: cinema +0.2, restaurant +0.3, park 0 (+0.4 if sunny, -1.0 if rainy or stormy),
//          concert +0.4, museum -0.3
//   -0.3 per degree that temperature lies outside the comfort band 12..28 °C
//   -0.1 per km of distance_km
//   +0.05 per day of days_since_last, counting at most 21 days
//   kThreshold = -1.6, which makes about half of the evenings accepted before noise.
// Monday to thursday carry no signal of their own.
#include "data/invitations.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <string_view>

#include "data/schema.h"
#include "util/check.h"
#include "util/rng.h"

namespace ming {
namespace {

constexpr double kThreshold = -1.6;
constexpr double kMissingRate = 0.03;

constexpr std::array<std::string_view, 4> kWeather = {"sunny", "cloudy", "rainy", "stormy"};
constexpr std::array<std::string_view, 3> kMood = {"good", "neutral", "bad"};
constexpr std::array<std::string_view, 7> kDay = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr std::array<std::string_view, 5> kVenue = {"cinema", "restaurant", "park", "concert",
                                                    "museum"};
enum Weather { kSunny, kCloudy, kRainy, kStormy };
enum Mood { kGood, kNeutral, kBad };
enum Venue { kCinema, kRestaurant, kPark, kConcert, kMuseum };

struct Evening {
  bool holiday = false, ill = false, other_plans = false, relatives = false;
  int weather = kSunny, mood = kNeutral, day = 0, venue = kCinema, days_since_last = 1;
  double temperature = 20.0, distance_km = 1.0;
};

double Score(const Evening& e) {
  constexpr std::array<double, 4> kWeatherW = {0.0, -0.2, -0.9, -1.8};
  constexpr std::array<double, 3> kMoodW = {0.7, 0.0, -1.5};
  constexpr std::array<double, 7> kDayW = {0.0, 0.0, 0.0, 0.0, 0.3, 0.8, 0.8};
  constexpr std::array<double, 5> kVenueW = {0.2, 0.3, 0.0, 0.4, -0.3};
  double s = (e.holiday ? 1.0 : 0.0) - (e.ill ? 3.0 : 0.0) - (e.other_plans ? 2.5 : 0.0) -
             (e.relatives ? 1.2 : 0.0);
  s += kWeatherW[e.weather] + kMoodW[e.mood] + kDayW[e.day] + kVenueW[e.venue];
  if (e.venue == kPark) s += e.weather == kSunny ? 0.4 : e.weather >= kRainy ? -1.0 : 0.0;
  s -= 0.3 * std::max(0.0, std::fabs(e.temperature - 20.0) - 8.0);
  s -= 0.1 * e.distance_km;
  s += 0.05 * std::min(e.days_since_last, 21);
  return s;
}

// Index of the first threshold in `cum` (ascending) above u.
template <size_t N>
int Pick(double u, const std::array<double, N>& cum) {
  for (size_t i = 0; i < N; ++i) {
    if (u < cum[i]) return static_cast<int>(i);
  }
  return static_cast<int>(N);
}

// Draws one evening; temperature and distance are rounded to tenths as they are printed.
Evening Draw(Rng& rng, int* temp_tenths, int* dist_tenths) {
  Evening e;
  e.day = static_cast<int>(rng.UniformInt(7));
  e.holiday = rng.UniformDouble() < 0.08;
  e.weather = Pick(rng.UniformDouble(), std::array<double, 3>{0.40, 0.70, 0.92});
  constexpr std::array<double, 4> kWeatherTemp = {3.0, 0.0, -2.0, -3.0};
  double t = 14.0 + 9.0 * rng.Normal() + kWeatherTemp[e.weather];
  *temp_tenths = static_cast<int>(std::llround(std::clamp(t, -20.0, 42.0) * 10.0));
  e.temperature = *temp_tenths / 10.0;
  e.mood = Pick(rng.UniformDouble(), std::array<double, 2>{0.35, 0.80});
  e.ill = rng.UniformDouble() < 0.07;
  e.other_plans = rng.UniformDouble() < 0.18;
  e.relatives = rng.UniformDouble() < 0.10;
  e.venue = static_cast<int>(rng.UniformInt(5));
  double gap = -std::log(1.0 - rng.UniformDouble()) * 5.0;
  e.days_since_last = 1 + static_cast<int>(std::min(gap, 89.0));
  double d = std::exp(std::log(4.0) + 0.8 * rng.Normal());
  *dist_tenths = static_cast<int>(std::llround(std::clamp(d, 0.2, 80.0) * 10.0));
  e.distance_km = *dist_tenths / 10.0;
  return e;
}

void AppendInt(std::string& out, int v) {
  char buf[16];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

// Appends tenths/10 with one decimal: -35 -> "-3.5".
void AppendTenths(std::string& out, int tenths) {
  if (tenths < 0) out += '-';
  int a = std::abs(tenths);
  AppendInt(out, a / 10);
  out += '.';
  out += static_cast<char>('0' + a % 10);
}

void AppendRow(std::string& out, const Evening& e, int temp, int dist, bool temp_missing,
               bool mood_missing, bool accepted) {
  auto yes_no = [&out](bool b) { out += b ? "yes," : "no,"; };
  yes_no(e.holiday);
  out.append(kWeather[e.weather]).push_back(',');
  if (!temp_missing) AppendTenths(out, temp);
  out += ',';
  if (!mood_missing) out.append(kMood[e.mood]);
  out += ',';
  yes_no(e.ill);
  yes_no(e.other_plans);
  yes_no(e.relatives);
  out.append(kDay[e.day]).push_back(',');
  out.append(kVenue[e.venue]).push_back(',');
  AppendInt(out, e.days_since_last);
  out += ',';
  AppendTenths(out, dist);
  out += accepted ? ",yes\n" : ",no\n";
}

template <size_t N>
int IndexOf(const std::array<std::string_view, N>& names, std::string_view v, int fallback) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == v) return static_cast<int>(i);
  }
  return fallback;
}

const std::string& Cell(const CsvTable& t, size_t r, std::string_view name) {
  int c = t.column_index(name);
  MING_CHECK(c >= 0);
  return t.cell(r, static_cast<size_t>(c));
}

bool Yes(const CsvTable& t, size_t r, std::string_view name) {
  return ParseBool(Cell(t, r, name)).value_or(false);
}

double Number(const CsvTable& t, size_t r, std::string_view name, double fallback) {
  double v = fallback;
  const std::string& cell = Cell(t, r, name);
  if (!IsMissing(cell) && !ParseNumber(cell, &v)) v = fallback;
  return v;
}

}  // namespace

double InvitationLabelNoise() { return 0.05; }

std::string GenerateInvitations(int64_t rows, uint64_t seed) {
  std::string out =
      "holiday,weather,temperature,her_mood,ill,other_plans,relatives_visiting,day_of_week,"
      "venue,days_since_last,distance_km,accepted\n";
  out.reserve(out.size() + static_cast<size_t>(std::max<int64_t>(rows, 0)) * 80);
  Rng rng(seed);
  const double noise = InvitationLabelNoise();
  for (int64_t i = 0; i < rows; ++i) {
    int temp = 0, dist = 0;
    Evening e = Draw(rng, &temp, &dist);
    bool accepted = Score(e) > kThreshold;
    if (rng.UniformDouble() < noise) accepted = !accepted;
    bool temp_missing = rng.UniformDouble() < kMissingRate;
    bool mood_missing = rng.UniformDouble() < kMissingRate;
    AppendRow(out, e, temp, dist, temp_missing, mood_missing, accepted);
  }
  return out;
}

bool InvitationRule(const CsvTable& t, size_t r) {
  Evening e;
  e.holiday = Yes(t, r, "holiday");
  e.weather = IndexOf(kWeather, TrimCell(Cell(t, r, "weather")), kSunny);
  e.temperature = Number(t, r, "temperature", 20.0);
  e.mood = IndexOf(kMood, TrimCell(Cell(t, r, "her_mood")), kNeutral);
  e.ill = Yes(t, r, "ill");
  e.other_plans = Yes(t, r, "other_plans");
  e.relatives = Yes(t, r, "relatives_visiting");
  e.day = IndexOf(kDay, TrimCell(Cell(t, r, "day_of_week")), 0);
  e.venue = IndexOf(kVenue, TrimCell(Cell(t, r, "venue")), kCinema);
  e.days_since_last = static_cast<int>(Number(t, r, "days_since_last", 1.0));
  e.distance_km = Number(t, r, "distance_km", 0.0);
  return Score(e) > kThreshold;
}

}  // namespace ming

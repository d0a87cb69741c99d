// SPDX-License-Identifier: Apache-2.0
// Tests of the Unicode text normalizers.
#include "metric/normalize.hpp"

#include <algorithm>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "promptbench/metric.hpp"

namespace promptbench {
namespace {

Normalization only_trim() {
  Normalization how;
  how.trim = true;
  return how;
}

Normalization only_lower() {
  Normalization how;
  how.lower = true;
  return how;
}

Normalization only_collapse() {
  Normalization how;
  how.collapse_whitespace = true;
  return how;
}

Normalization only_strip() {
  Normalization how;
  how.strip_punctuation = true;
  return how;
}

Normalization all_of_them() {
  return Normalization{true, true, true, true};
}

TEST(Normalize, LeavesTextAloneWithNoNormalizer) {
  EXPECT_EQ(normalize("  Hello,  World! ", Normalization{}), "  Hello,  World! ");
}

TEST(Normalize, TrimsAsciiAndUnicodeWhitespace) {
  // U+00A0 no-break space, U+3000 ideographic space, U+2029 paragraph separator.
  EXPECT_EQ(normalize(" \t\u00a0\u3000Paris de France\r\n\u2029", only_trim()), "Paris de France");
}

TEST(Normalize, TrimsAllWhitespaceToEmpty) {
  EXPECT_EQ(normalize(" \n\u00a0 ", only_trim()), "");
}

TEST(Normalize, NfkcCasefoldFoldsCompatibilityForms) {
  Normalization how;
  how.nfkc_casefold = true;
  // U+FB01 ligature fi, full-width letters, superscript two, a soft hyphen (ignorable).
  EXPECT_EQ(normalize("\ufb01ne \uff21\uff22C x\u00b2 co\u00adop", how), "fine abc x2 coop");
  // Decomposed e + combining acute composes to the precomposed form.
  EXPECT_EQ(normalize("Cafe\u0301", how), "caf\u00e9");
  // Without it, lower alone keeps the superscript and the full-width letters.
  EXPECT_EQ(normalize("x\u00b2 \uff21", only_lower()), "x\u00b2 \uff41");
}

TEST(Normalize, NfkcCasefoldLeavesInvalidUtf8Alone) {
  Normalization how;
  how.nfkc_casefold = true;
  how.trim = true;
  EXPECT_EQ(normalize(" A\xff ", how), "A\xff");
}

TEST(Normalize, LowersAccentedCapitals) {
  EXPECT_EQ(normalize("ÉCOLE", only_lower()), "école");
}

TEST(Normalize, FoldsCaseBeyondLatin) {
  EXPECT_EQ(normalize("ΣΟΦΊΑ Москва", only_lower()), "σοφία москва");
  // Case folding rather than lower-casing: sharp s and final sigma compare equal.
  EXPECT_EQ(normalize("Straße", only_lower()), normalize("STRASSE", only_lower()));
  EXPECT_EQ(normalize("λόγος", only_lower()), normalize("ΛΌΓΟΣ", only_lower()));
}

TEST(Normalize, CollapsesRunsOfUnicodeWhitespaceToOneSpace) {
  EXPECT_EQ(normalize("a \t\n b\u00a0\u2003c", only_collapse()), "a b c");
}

TEST(Normalize, CollapsesWithoutTrimming) {
  EXPECT_EQ(normalize("  a  b  ", only_collapse()), " a b ");
}

TEST(Normalize, StripsAsciiPunctuation) {
  EXPECT_EQ(normalize("Hello, (world)! \"it's\" - ok?", only_strip()), "Hello world its  ok");
}

TEST(Normalize, StripsNonAsciiPunctuation) {
  EXPECT_EQ(normalize("«Bonjour» ¿Qué? 「はい」。！", only_strip()), "Bonjour Qué はい");
}

TEST(Normalize, KeepsSymbolsThatAreNotPunctuation) {
  EXPECT_EQ(normalize("1+1=2 $5 €", only_strip()), "1+1=2 $5 €");
}

TEST(Normalize, AppliesEveryNormalizerInAFixedOrder) {
  EXPECT_EQ(normalize("  The  ANSWER: «Paris» . ", all_of_them()), "the answer paris");
}

TEST(Normalize, KeepsInvalidUtf8BytesAndHandlesTheRestAsAscii) {
  const std::string invalid = "  AB\xff\xc3(x\xe2\x82 ,C \x80 ";
  EXPECT_EQ(normalize(invalid, all_of_them()), "ab\xff\xc3x\xe2\x82 c \x80");
}

TEST(Normalize, HandlesTruncatedSequenceAtTheEnd) {
  EXPECT_EQ(normalize("ÉCOLE\xc3", all_of_them()), "école\xc3");
}

TEST(TrimWhitespace, KeepsInnerWhitespace) {
  EXPECT_EQ(trim_whitespace("\u2028 a \u00a0 b \u2028"), "a \u00a0 b");
}

TEST(NormalizationParam, ReadsOneNameOrAList) {
  const nlohmann::json one = {{"normalize", "lower"}};
  const Normalization from_one = normalization_param(MetricParams(one), only_trim());
  EXPECT_TRUE(from_one.lower);
  EXPECT_FALSE(from_one.trim);
  const nlohmann::json list = {{"normalize", {"collapse_whitespace", "strip_punctuation"}}};
  const Normalization from_list = normalization_param(MetricParams(list), only_trim());
  EXPECT_TRUE(from_list.collapse_whitespace && from_list.strip_punctuation);
  EXPECT_FALSE(from_list.trim || from_list.lower);
}

TEST(NormalizationParam, GivesTheFallbackWhenAbsentAndNothingForAnEmptyList) {
  const nlohmann::json absent = nlohmann::json::object();
  EXPECT_TRUE(normalization_param(MetricParams(absent), only_trim()).trim);
  const nlohmann::json empty = {{"normalize", nlohmann::json::array()}};
  EXPECT_FALSE(normalization_param(MetricParams(empty), only_trim()).trim);
}

TEST(NormalizationParam, SuggestsTheClosestNormalizerForATypo) {
  const nlohmann::json raw = {{"normalize", {"trim", "lowr"}}};
  try {
    (void)normalization_param(MetricParams(raw), Normalization{});
    FAIL() << "no error";
  } catch (const ParamError& e) {
    EXPECT_EQ(e.key(), "normalize");
    EXPECT_EQ(std::string(e.what()), "unknown normalizer 'lowr' (did you mean 'lower'?)");
  }
}

TEST(NormalizationParam, NamesAnUnknownNormalizerWithoutSuggestionWhenNothingIsClose) {
  const nlohmann::json raw = {{"normalize", "stem"}};
  try {
    (void)normalization_param(MetricParams(raw), Normalization{});
    FAIL() << "no error";
  } catch (const ParamError& e) {
    EXPECT_EQ(std::string(e.what()), "unknown normalizer 'stem'");
  }
}

/// The normalizers on ASCII text, from Unicode's facts about ASCII: whitespace is \t..\r and
/// space, punctuation (Pc..Po) is !"#%&'()*,-./:;?@[\]_{} ($+<=>^`|~ are symbols), case
/// folding and NFKC_Casefold lower A..Z and leave every other character as it is.
std::string ascii_reference(const std::string& input, const Normalization& how) {
  const auto is_space = [](char c) { return (c >= '\t' && c <= '\r') || c == ' '; };
  const std::string punctuation = "!\"#%&'()*,-./:;?@[\\]_{}";
  const auto lower = [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  };
  std::string out;
  bool in_space_run = false;
  for (char c : input) {
    c = how.nfkc_casefold ? lower(c) : c;
    if (how.strip_punctuation && punctuation.find(c) != std::string::npos) {
      continue;
    }
    if (how.collapse_whitespace && is_space(c)) {
      if (!in_space_run) {
        out += ' ';
      }
      in_space_run = true;
      continue;
    }
    in_space_run = false;
    out += how.lower ? lower(c) : c;
  }
  if (how.trim) {
    const auto first = std::find_if_not(out.begin(), out.end(), is_space);
    const auto last = std::find_if_not(out.rbegin(), out.rend(), is_space).base();
    out = first < last ? std::string(first, last) : std::string();
  }
  return out;
}

TEST(Normalize, AsciiTextTakesTheTablesAndGetsWhatUnicodeSays) {
  std::mt19937 random(128);
  for (int round = 0; round < 4000; ++round) {
    std::string text(random() % 12, '\0');
    for (char& c : text) {
      c = static_cast<char>(random() % 128);
    }
    Normalization how;
    how.strip_punctuation = (round & 1) != 0;
    how.lower = (round & 2) != 0;
    how.collapse_whitespace = (round & 4) != 0;
    how.trim = (round & 8) != 0;
    how.nfkc_casefold = (round & 16) != 0;
    ASSERT_EQ(normalize(text, how), ascii_reference(text, how)) << "round " << round;
  }
  // Every ASCII character alone, with every normalizer on.
  const Normalization all{true, true, true, true, true};
  for (int c = 0; c < 128; ++c) {
    const std::string text(1, static_cast<char>(c));
    EXPECT_EQ(normalize(text, all), ascii_reference(text, all)) << c;
  }
}

TEST(Normalize, TextWithOneNonAsciiCharacterStillFoldsItsAsciiPart) {
  Normalization how;
  how.nfkc_casefold = true;
  how.strip_punctuation = true;
  EXPECT_EQ(normalize("Hello, ＷＯＲＬＤ!", how), "hello world");
  how = Normalization{};
  how.lower = true;
  EXPECT_EQ(normalize("STRASSE Straße", how), "strasse strasse");
}

}  // namespace
}  // namespace promptbench

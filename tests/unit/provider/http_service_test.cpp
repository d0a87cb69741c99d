// SPDX-License-Identifier: Apache-2.0
// The http provider: a templated JSON body, JSON pointers into the answer, its options.
#include <cstdlib>

#include <gtest/gtest.h>

#include "promptbench/config.hpp"
#include "promptbench/provider.hpp"
#include "promptbench/redact.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

/// The issue's example: a service that takes {input, options} and answers
/// {result: {answer}, meta: {tokens_in, tokens_out}}.
nlohmann::json example_options() {
  return nlohmann::json::parse(R"({
    "url": "http://host/generate",
    "body": {"input": "{{prompt}}", "options": {"temperature": 0}},
    "response": {"text": "/result/answer", "prompt_tokens": "/meta/tokens_in",
                 "completion_tokens": "/meta/tokens_out"}})");
}

ProviderConfig config_with(nlohmann::json options) {
  ProviderConfig config;
  config.id = "custom";
  config.type = "http";
  config.field = "providers[0]";
  config.where = {"cfg.yaml", 3, 5};
  config.headers = {{"x-custom-key", "k-secret-123", true}};
  config.options = std::move(options);
  return config;
}

/// The options of the example with `body` replaced.
ProviderConfig config_with_body(nlohmann::json body) {
  nlohmann::json options = example_options();
  options["body"] = std::move(body);
  return config_with(std::move(options));
}

const RenderedPrompt kPrompt{{{"user", "What is 2+2?"}}};

nlohmann::json sent_body(const ProviderConfig& config, const RenderedPrompt& prompt,
                         const nlohmann::json& vars = nlohmann::json::object()) {
  return nlohmann::json::parse(make_provider(config)->build_request(prompt, vars).body);
}

HttpResponse response(std::string body) {
  HttpResponse r;
  r.status = 200;
  r.body = std::move(body);
  r.latency_ms = 7.5;
  return r;
}

/// The message of the OptionError validate_http throws for `options`.
std::string option_error(const nlohmann::json& options, std::string* key = nullptr) {
  try {
    provider_type("http").validate(ProviderOptions(options));
  } catch (const OptionError& e) {
    if (key != nullptr) {
      *key = e.key();
    }
    return e.what();
  }
  return "(no error)";
}

TEST(HttpProvider, BuildsTheExampleRequest) {
  const HttpRequest request =
      make_provider(config_with(example_options()))->build_request(kPrompt, {{"question", "2+2"}});
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://host/generate");
  EXPECT_EQ(request.body, R"({"input":"What is 2+2?","options":{"temperature":0}})");
  ASSERT_EQ(request.headers.size(), 2u);
  EXPECT_EQ(request.headers[0].name, "Content-Type");
  EXPECT_EQ(request.headers[0].value, "application/json");
  EXPECT_EQ(request.headers[1].name, "x-custom-key");
  EXPECT_EQ(request.headers[1].value, "k-secret-123");
  EXPECT_TRUE(request.headers[1].secret);
  EXPECT_EQ(request.body.find("k-secret"), std::string::npos);
}

TEST(HttpProvider, IsRegisteredWithoutNeedingAModel) {
  const ProviderInfo& info = provider_type("http");
  EXPECT_FALSE(info.needs_model);
  EXPECT_NO_THROW(info.validate(ProviderOptions(example_options())));
}

TEST(HttpProvider, AConfiguredContentTypeReplacesItsOwn) {
  ProviderConfig config = config_with(example_options());
  config.headers = {{"content-type", "application/vnd.api+json", false}};
  const HttpRequest request = make_provider(config)->build_request(kPrompt, {});
  ASSERT_EQ(request.headers.size(), 1u);
  EXPECT_EQ(request.headers[0].name, "content-type");
  EXPECT_EQ(request.headers[0].value, "application/vnd.api+json");
}

TEST(HttpProvider, HostileTextsParseBackToExactlyTheInput) {
  const ProviderConfig config =
      config_with_body({{"input", "{{prompt}}"}, {"framed", "Q: {{question}} A:"}});
  for (const std::string& text : std::vector<std::string>{
           "say \"hi\"", "back\\slash \\n not a newline", "line1\nline2\r\n", "tab\there",
           "ctl\x01\x1f end", "emoji 😀 ünïcödé 中文", "{{question}} stays",
           "{{#x}}{{/x}} {{> p}} {{{y}}}", "}\",\"injected\":\"x"}) {
    const nlohmann::json body = sent_body(config, {{{"user", text}}}, {{"question", text}});
    EXPECT_EQ(body["input"], text);
    EXPECT_EQ(body["framed"], "Q: " + text + " A:");
    EXPECT_EQ(body.size(), 2u) << text;
  }
}

TEST(HttpProvider, JoinsMessagesIntoThePromptAndSendsThemAsAnArray) {
  const ProviderConfig config =
      config_with_body({{"prompt", "{{ prompt }}"}, {"messages", "{{messages}}"}});
  const nlohmann::json body =
      sent_body(config, {{{"system", "Be brief."}, {"user", "Hi \"there\""}}});
  EXPECT_EQ(body["prompt"], "Be brief.\n\nHi \"there\"");
  EXPECT_EQ(body["messages"], nlohmann::json::parse(R"([{"role":"system","content":"Be brief."},
    {"role":"user","content":"Hi \"there\""}])"));
}

TEST(HttpProvider, ASoleTagTakesTheVariablesJsonValue) {
  const ProviderConfig config = config_with_body({{"n", "{{n}}"},
                                                  {"n_text", "n={{n}}"},
                                                  {"triple", "{{{meta}}}"},
                                                  {"dotted", "{{meta.tags}}"},
                                                  {"flag", "{{&flag}}"},
                                                  {"none", "{{missing_ok}}"}});
  const nlohmann::json vars = {
      {"n", 3}, {"meta", {{"tags", {"a", "b"}}}}, {"flag", true}, {"missing_ok", nullptr}};
  const nlohmann::json body = sent_body(config, kPrompt, vars);
  EXPECT_EQ(body.dump(), R"({"dotted":["a","b"],"flag":true,"n":3,"n_text":"n=3","none":null,)"
                         R"("triple":{"tags":["a","b"]}})");
}

TEST(HttpProvider, FillsNestedArraysAndObjectsAndCopiesOtherLeaves) {
  const nlohmann::json body_template = nlohmann::json::parse(R"({
    "instances": [{"text": "{{prompt}}", "id": "{{id}}"}, ["{{id}}-x", 1.5, null, false]],
    "parameters": {"max": 64, "stop": ["\n\n"], "nested": {"deep": ["{{prompt}}"]}}})");
  const nlohmann::json body = sent_body(config_with_body(body_template), kPrompt, {{"id", 7}});
  EXPECT_EQ(body, nlohmann::json::parse(R"({
    "instances": [{"text": "What is 2+2?", "id": 7}, ["7-x", 1.5, null, false]],
    "parameters": {"max": 64, "stop": ["\n\n"], "nested": {"deep": ["What is 2+2?"]}}})"));
}

TEST(HttpProvider, ABodyThatIsAListIsFilledToo) {
  const nlohmann::json body =
      sent_body(config_with_body(nlohmann::json::array({"{{prompt}}", 2})), kPrompt);
  EXPECT_EQ(body.dump(), R"(["What is 2+2?",2])");
}

TEST(HttpProvider, SendsPutWhenTold) {
  nlohmann::json options = example_options();
  options["method"] = "PUT";
  const HttpRequest request = make_provider(config_with(options))->build_request(kPrompt, {});
  EXPECT_EQ(request.method, "PUT");
  EXPECT_EQ(request.body, R"({"input":"What is 2+2?","options":{"temperature":0}})");
}

TEST(HttpProvider, SendsGetWithoutABody) {
  nlohmann::json options = example_options();
  options["method"] = "GET";
  options.erase("body");
  const HttpRequest request = make_provider(config_with(options))->build_request(kPrompt, {});
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, "http://host/generate");
  EXPECT_EQ(request.body, "");
  ASSERT_EQ(request.headers.size(), 1u);
  EXPECT_EQ(request.headers[0].name, "x-custom-key");
}

TEST(HttpProvider, AMissingVariableIsALocatedErrorNamingIt) {
  const auto provider =
      make_provider(config_with_body({{"input", {"Q: {{questoin}}", "{{prompt}}"}}}));
  try {
    (void)provider->build_request(kPrompt, {{"question", "x"}});
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cfg.yaml:3:5: providers[0].body: provider 'custom': body at /input/0: the case "
              "has no variable 'questoin' (did you mean 'question'?)");
  }
  const auto sole = make_provider(config_with_body({{"q", "{{questoin}}"}}));
  try {
    (void)sole->build_request(kPrompt, {{"question", "x"}});
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cfg.yaml:3:5: providers[0].body: provider 'custom': body at /q: the case has no "
              "variable 'questoin' (did you mean 'question'?)");
  }
}

TEST(HttpProvider, AMissingSectionIsFalseNotAnError) {
  const nlohmann::json body =
      sent_body(config_with_body({{"input", "{{#hint}}Hint: {{hint}}. {{/hint}}{{prompt}}"}}),
                kPrompt, nlohmann::json::object());
  EXPECT_EQ(body["input"], "What is 2+2?");
}

TEST(HttpProvider, ReadsTextAndTokenCounts) {
  const auto provider = make_provider(config_with(example_options()));
  const auto completion = provider->parse_response(
      response(R"({"result":{"answer":"4"},"meta":{"tokens_in":12,"tokens_out":1}})"));
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_EQ(completion->text, "4");
  EXPECT_EQ(completion->usage.prompt_tokens, 12);
  EXPECT_EQ(completion->usage.completion_tokens, 1);
  EXPECT_DOUBLE_EQ(completion->latency_ms, 7.5);
}

TEST(HttpProvider, MissingTokenCountsLeaveUsageUnknown) {
  const auto completion = make_provider(config_with(example_options()))
                              ->parse_response(response(R"({"result":{"answer":"4"}})"));
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_FALSE(completion->usage.prompt_tokens.has_value());
  EXPECT_FALSE(completion->usage.completion_tokens.has_value());
}

TEST(HttpProvider, ATokenCountThatIsNotAnIntegerIsABadResponse) {
  const auto completion =
      make_provider(config_with(example_options()))
          ->parse_response(response(R"({"result":{"answer":"4"},"meta":{"tokens_in":"12"}})"));
  ASSERT_FALSE(completion);
  EXPECT_EQ(completion.error().kind, ErrorKind::bad_response);
  EXPECT_EQ(completion.error().message,
            R"(token count at /meta/tokens_in is not an integer, 0 or more: '"12"')");
}

TEST(HttpProvider, ANegativeTokenCountIsABadResponse) {
  const auto completion =
      make_provider(config_with(example_options()))
          ->parse_response(response(R"({"result":{"answer":"4"},"meta":{"tokens_in":-3}})"));
  ASSERT_FALSE(completion);
  EXPECT_EQ(completion.error().kind, ErrorKind::bad_response);
  EXPECT_EQ(completion.error().message,
            "token count at /meta/tokens_in is not an integer, 0 or more: '-3'");
}

TEST(HttpProvider, TextThatIsNotAStringIsSentAsCompactJson) {
  const auto provider = make_provider(config_with(example_options()));
  const auto object =
      provider->parse_response(response(R"({"result": {"answer": {"label": "yes", "p": 0.9}}})"));
  ASSERT_TRUE(object) << object.error().message;
  EXPECT_EQ(object->text, R"({"label":"yes","p":0.9})");
  const auto number = provider->parse_response(response(R"({"result": {"answer": 4}})"));
  ASSERT_TRUE(number);
  EXPECT_EQ(number->text, "4");
}

TEST(HttpProvider, AnEmptyPointerTakesTheWholeResponse) {
  nlohmann::json options = example_options();
  options["response"] = {{"text", ""}};
  const auto completion =
      make_provider(config_with(options))->parse_response(response(R"(["a", "b"])"));
  ASSERT_TRUE(completion);
  EXPECT_EQ(completion->text, R"(["a","b"])");
}

TEST(HttpProvider, NothingAtTheTextPointerNamesItAndQuotesTheBody) {
  const auto provider = make_provider(config_with(example_options()));
  const auto missing = provider->parse_response(
      response("{\"status\": \"queued\",\n \"id\": \"0123456789abcdef0123456789abcdef\"}"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::bad_response);
  EXPECT_EQ(missing.error().message,
            "response has nothing at /result/answer (body: '{\"status\": \"queued\",  \"id\": "
            "\"0123456789abcdef0123456789abcde...')");
}

TEST(HttpProvider, ABodyThatIsNotJsonIsABadResponse) {
  const auto provider = make_provider(config_with(example_options()));
  const auto html = provider->parse_response(response("<html>\n<body>Bad gateway</body></html>"));
  ASSERT_FALSE(html);
  EXPECT_EQ(html.error().kind, ErrorKind::bad_response);
  EXPECT_EQ(html.error().message,
            "response body is not valid JSON: '<html> <body>Bad gateway</body></html>'");
  const auto empty = provider->parse_response(response(""));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "response body is not valid JSON: (empty)");
  // Cut at 60 bytes, but never inside a character: the emoji at bytes 58-61 is left out.
  const auto cut = provider->parse_response(response(std::string(58, 'x') + "😀 tail"));
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().message,
            "response body is not valid JSON: '" + std::string(58, 'x') + "...'");
}

TEST(HttpProvider, RejectsUnknownKeys) {
  nlohmann::json options = example_options();
  options["bdy"] = {{"x", 1}};
  std::string key;
  EXPECT_EQ(option_error(options, &key), "unknown key 'bdy' (did you mean 'body'?)");
  EXPECT_EQ(key, "bdy");
  options = example_options();
  options["response"]["txt"] = "/a";
  EXPECT_EQ(option_error(options, &key), "unknown key 'txt' in response (did you mean 'text'?)");
  EXPECT_EQ(key, "response");
}

TEST(HttpProvider, RequiresAnHttpUrl) {
  nlohmann::json options = example_options();
  options.erase("url");
  std::string key = "?";
  EXPECT_EQ(option_error(options, &key), "missing required field 'url'");
  EXPECT_EQ(key, "");
  options["url"] = "ftp://host/x";
  EXPECT_EQ(option_error(options, &key), "expected an http:// or https:// URL, got 'ftp://host/x'");
  EXPECT_EQ(key, "url");
  options["url"] = "http:///generate";
  EXPECT_EQ(option_error(options), "no host in 'http:///generate'");
  options["url"] = 8080;
  EXPECT_EQ(option_error(options), "expected a string, got number");
}

TEST(HttpProvider, RequiresAKnownMethod) {
  nlohmann::json options = example_options();
  options["method"] = "DELETE";
  std::string key;
  EXPECT_EQ(option_error(options, &key), "expected one of POST, PUT, PATCH, GET, got 'DELETE'");
  EXPECT_EQ(key, "method");
  options["method"] = "PATCH";
  EXPECT_EQ(option_error(options), "(no error)");
}

TEST(HttpProvider, RequiresABodyUnlessGet) {
  nlohmann::json options = example_options();
  options.erase("body");
  EXPECT_EQ(option_error(options), "missing required field 'body' (method POST)");
  options["body"] = "{{prompt}}";
  EXPECT_EQ(option_error(options), "expected a mapping or a list, got string");
  options["method"] = "GET";
  EXPECT_EQ(option_error(options), "a GET request sends no body (use method: POST, PUT or PATCH)");
}

TEST(HttpProvider, RefusesABodyTemplateThatDoesNotParse) {
  std::string key;
  EXPECT_EQ(option_error(config_with_body({{"a", {{"b", "{{#open}} x"}}}}).options, &key),
            "at /a/b: invalid template: Unclosed section \"open\" at 0");
  EXPECT_EQ(key, "body");
}

TEST(HttpProvider, RequiresResponseTextAsAJsonPointer) {
  nlohmann::json options = example_options();
  options["response"] = {{"prompt_tokens", "/usage/in"}};
  std::string key;
  EXPECT_EQ(option_error(options, &key),
            "missing required field 'text' (a JSON pointer to the answer)");
  EXPECT_EQ(key, "response");
  options["response"] = {{"text", "result/answer"}};
  EXPECT_EQ(option_error(options),
            "text: 'result/answer' is not a JSON pointer (write /result/answer, or \"\" for the "
            "whole response)");
  options["response"] = {{"text", "/a"}, {"completion_tokens", "meta/out"}};
  EXPECT_EQ(option_error(options),
            "completion_tokens: 'meta/out' is not a JSON pointer (write /result/answer, or \"\" "
            "for the whole response)");
  options.erase("response");
  EXPECT_EQ(option_error(options), "missing required field 'response'");
}

TEST(HttpProvider, RejectsBaseUrlAtItsLocation) {
  ProviderConfig config = config_with(example_options());
  config.base_url = "http://host";
  config.base_url_where = {"cfg.yaml", 6, 15};
  try {
    (void)make_provider(config);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(e.field(), "providers[0].base_url");
    EXPECT_EQ(std::string(e.what()),
              "cfg.yaml:6:15: providers[0].base_url: the http type takes no base_url: give the "
              "whole address as `url`");
  }
}

TEST(HttpProvider, MakingItChecksTheOptionsToo) {
  nlohmann::json options = example_options();
  options["method"] = "get";
  try {
    (void)make_provider(config_with(options));
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "cfg.yaml:3:5: providers[0].method: expected one of POST, PUT, PATCH, GET, got 'get'");
  }
}

/// The issue's example as a YAML file, through the config loader.
std::string example_yaml(const std::string& method_line = "") {
  return "providers:\n"
         "  - id: custom\n"
         "    type: http\n"
         "    url: http://host/generate\n" +
         method_line +
         "    headers: {x-custom-key: \"${PB_UNIT_CUSTOM_KEY}\"}\n"
         "    body: {input: \"{{prompt}}\", options: {temperature: 0}}\n"
         "    response: {text: /result/answer, prompt_tokens: /meta/tokens_in,\n"
         "               completion_tokens: /meta/tokens_out}\n"
         "prompts: [{id: a, template: \"Q: {{q}}\"}]\n"
         "dataset: {path: data.jsonl, reference: a}\n";
}

TEST(HttpProvider, LoadsTheExampleConfigWithoutAModel) {
  ::setenv("PB_UNIT_CUSTOM_KEY", "k-from-env-42", 1);
  testing::ScratchDir dir;
  dir.write("data.jsonl", "{\"q\": \"hi\", \"a\": \"x\"}\n");
  const Config config = load_config(dir.write("cfg.yaml", example_yaml()));
  ASSERT_EQ(config.providers.size(), 1u);
  EXPECT_EQ(config.providers[0].model, "");
  const HttpRequest request =
      make_provider(config.providers[0])->build_request({{{"user", "Q: hi"}}}, {{"q", "hi"}});
  EXPECT_EQ(request.url, "http://host/generate");
  EXPECT_EQ(request.body, R"({"input":"Q: hi","options":{"temperature":0}})");
  ASSERT_EQ(request.headers.size(), 2u);
  EXPECT_EQ(request.headers[1].value, "k-from-env-42");
  EXPECT_TRUE(request.headers[1].secret);
  clear_secrets();
  ::unsetenv("PB_UNIT_CUSTOM_KEY");
}

TEST(HttpProvider, TheLoaderLocatesABadOptionAtItsKey) {
  ::setenv("PB_UNIT_CUSTOM_KEY", "k-from-env-42", 1);
  testing::ScratchDir dir;
  dir.write("data.jsonl", "{\"q\": \"hi\", \"a\": \"x\"}\n");
  try {
    (void)load_config(dir.write("cfg.yaml", example_yaml("    method: DELETE\n")));
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()).substr(dir.path().string().size() + 1),
              "cfg.yaml:5:5: providers[0].method: expected one of POST, PUT, PATCH, GET, got "
              "'DELETE'");
  }
  clear_secrets();
  ::unsetenv("PB_UNIT_CUSTOM_KEY");
}

}  // namespace
}  // namespace promptbench

-- POST /slips/new as a signed-in patrol user, the way the phone's form does without a
-- photo. The CSRF token is the one the form page gave this session (Flask-WTF accepts it
-- for the session's lifetime, WTF_CSRF_TIME_LIMIT); the submission key must be new for
-- every request, or webapp/core/idempotency.py answers with the slip the key already
-- made (a 303 that files nothing). A filed slip answers 303 to its page; anything else
-- is counted as unexpected.
--
--   wrk ... -s file_slip.lua http://127.0.0.1:PORT/slips/new -- COOKIE CSRF_TOKEN RUN_ID REFERER
--
-- REFERER: the form's own https URL; behind nginx the request is https, and then
-- Flask-WTF also checks that the Referer is of the same origin.

local threads = {}
local counter = 1

function setup(thread)
   thread:set("id", counter)
   table.insert(threads, thread)
   counter = counter + 1
end

local function urlencode(text)
   return (string.gsub(text, "[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end

function init(args)
   cookie = args[1]
   csrf_token = args[2]
   run_id = args[3]
   sequence = 0
   unexpected = 0
   headers = {
      ["Cookie"] = cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["X-Forwarded-Proto"] = "https",
      ["X-Forwarded-For"] = "127.0.0.1",
      ["Referer"] = args[4],
   }
end

function request()
   sequence = sequence + 1
   local fields = {
      "csrf_token=" .. urlencode(csrf_token),
      "submission_key=" .. urlencode(string.format("bench-%s-%d-%d", run_id, id, sequence)),
      "category=facility",
      "source=seen_on_site",
      "description=" .. urlencode("楼道灯不亮（压力测试）"),
      "place_text=" .. urlencode("3栋大堂"),
   }
   return wrk.format("POST", nil, headers, table.concat(fields, "&"))
end

function response(status, headers, body)
   if status ~= 303 then
      unexpected = unexpected + 1
   end
end

function done(summary, latency, requests)
   local total = 0
   for _, thread in ipairs(threads) do
      total = total + thread:get("unexpected")
   end
   io.write(string.format("unexpected_status: %d\n", total))
end

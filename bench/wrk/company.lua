-- The company view (GM/VP/QA): GET a rotation of periods as the signed-in GM, and count
-- every answer that is not the whole company view as unexpected: a 200 without the
-- view's table (an error page, the sign-in form) would otherwise pass for a fast page.
--
--   wrk ... -s company.lua http://127.0.0.1:PORT -- PATHS_FILE COOKIE
--
-- PATHS_FILE: one path per line; COOKIE: the Cookie header of a real sign-in.

local threads = {}
local counter = 1

function setup(thread)
   thread:set("id", counter)
   table.insert(threads, thread)
   counter = counter + 1
end

function init(args)
   paths = {}
   for line in io.lines(args[1]) do
      if #line > 0 then
         table.insert(paths, line)
      end
   end
   headers = {
      ["Cookie"] = args[2],
      -- what nginx adds in front of the app (ProxyFix trusts it from 127.0.0.1)
      ["X-Forwarded-Proto"] = "https",
      ["X-Forwarded-For"] = "127.0.0.1",
   }
   -- each thread starts at another place in the rotation
   position = (id * 5) % #paths
   unexpected = 0
end

function request()
   position = position % #paths + 1
   return wrk.format("GET", paths[position], headers)
end

function response(status, headers, body)
   if status ~= 200 or not string.find(body, 'id="company-table"', 1, true) then
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

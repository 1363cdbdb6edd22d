-- GET a rotation of paths as a signed-in user, and count every answer that is not the
-- expected page: wrk itself counts only 4xx/5xx as errors, so a lost session (a 302
-- to the sign-in page) would otherwise pass for a fast page.
--
--   wrk ... -s pages.lua http://127.0.0.1:PORT -- PATHS_FILE COOKIE [HX] [MARKER]
--
-- PATHS_FILE: one path per line; COOKIE: the Cookie header of a real sign-in;
-- HX = "hx" sends the headers of an HTMX refresh (HX-Request), so the fragment is measured;
-- MARKER: text the page must contain (a 200 without it, such as an error page, is unexpected).

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
   if args[3] == "hx" then
      headers["HX-Request"] = "true"
   end
   if args[4] ~= nil and #args[4] > 0 then
      marker = args[4]
   end
   -- each thread starts at another place in the rotation
   position = (id * 7) % #paths
   unexpected = 0
end

function request()
   position = position % #paths + 1
   return wrk.format("GET", paths[position], headers)
end

function response(status, headers, body)
   if status ~= 200 or (marker and not string.find(body, marker, 1, true)) then
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

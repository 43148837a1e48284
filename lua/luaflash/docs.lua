-- Reference text generated from the code, so the README cannot drift:
-- the project-file settings table (from settings.spec) and the hook list
-- (from project.hooks). tests/luaunit/test_docs.lua checks that README.md
-- contains exactly this text between its markers; scripts/gen-docs rewrites it.

local settings = require("luaflash.settings")

local M = {}

local function show_default(s)
  local d = s.default
  if d == nil then return "—" end
  if s.kind == "hz" then
    if d % 1000000 == 0 then return string.format("%d MHz", d // 1000000) end
    return string.format("%g Hz", d)
  end
  if s.kind == "seconds" then
    if d < 1 then return string.format("%g ms", d * 1000) end
    return string.format("%g s", d)
  end
  if type(d) == "string" then return '`"' .. d .. '"`' end
  return "`" .. tostring(d) .. "`"
end

local kinds = {
  bool = "boolean", string = "string", any = "see text", int = "integer", chip = "chip name", table = "table",
  auto_bool = "`\"auto\"` / `true` / `false`",
  regions = "list of `{addr, len, \"name\"}`", names = "`true` or list of names",
  hz = "frequency: number (Hz) or `\"4MHz\"`, `\"480kHz\"`",
  seconds = "duration: number (s) or `\"50ms\"`, `\"2s\"`, `\"250us\"`",
}

function M.settings_table()
  local rows = { "| key | type | default | meaning |", "|---|---|---|---|" }
  for _, k in ipairs(settings.keys) do
    local s = settings.spec[k]
    local ty = kinds[s.kind]
    if s.kind == "enum" or s.kind == "verify" then
      local q = {}
      for i, v in ipairs(s.values) do q[i] = '`"' .. v .. '"`' end
      ty = table.concat(q, " / ") .. (s.kind == "verify" and " / `false`" or "")
    end
    rows[#rows + 1] = string.format("| `%s` | %s | %s | %s |", k, ty, show_default(s), s.doc:gsub("|", "\\|"))
  end
  return table.concat(rows, "\n")
end

M.markers = { settings = { "<!-- settings:begin -->", "<!-- settings:end -->" } }

-- Replace the text between the markers in `doc` by the generated block.
function M.splice(doc, which, block)
  local b, e = M.markers[which][1], M.markers[which][2]
  local i = doc:find(b, 1, true)
  local j = doc:find(e, 1, true)
  if not i or not j or j < i then return nil, "README.md has no " .. b .. " ... " .. e .. " block" end
  return doc:sub(1, i + #b - 1) .. "\n" .. block .. "\n" .. doc:sub(j)
end

return M

-- Small SVG charts for benchmark reports: a horizontal bar chart of
-- scenarios and a timeline of phases. Output is plain SVG 1.1 text (no
-- scripts, no external resources), deterministic for the same input.

local M = {}

local function esc(s)
  return (tostring(s):gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end
M.escape = esc

local palette = { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
  "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac" }

local function fmt_s(v)
  if v >= 10 then return string.format("%.1f s", v) end
  if v >= 1 then return string.format("%.2f s", v) end
  return string.format("%.0f ms", v * 1000)
end
M.format_seconds = fmt_s

-- bars: list of { label = "...", value = seconds, note = "optional", highlight = bool,
-- color = "#rrggbb" }; opts: { width, label_width, format = fn(value) -> text
-- (default: seconds), max = the value of a full-width bar (default: the largest) }
function M.bars(title, bars, opts)
  opts = opts or {}
  local fmt_v = opts.format or fmt_s
  local width, label_w, row_h = opts.width or 900, opts.label_width or 330, 26
  local top = 40
  local height = top + #bars * row_h + 30
  local max = 0
  for _, b in ipairs(bars) do if b.value > max then max = b.value end end
  if opts.max then max = opts.max end
  if max <= 0 then max = 1 end
  local plot_w = width - label_w - 90
  local out = {
    string.format('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="13">', width, height),
    string.format('<rect width="%d" height="%d" fill="white"/>', width, height),
    string.format('<text x="10" y="22" font-size="16" font-weight="bold">%s</text>', esc(title)),
  }
  for i, b in ipairs(bars) do
    local y = top + (i - 1) * row_h
    local w = math.max(1, math.floor(plot_w * b.value / max + 0.5))
    local color = b.color or (b.highlight and "#59a14f" or palette[1])
    out[#out + 1] = string.format('<text x="%d" y="%d" text-anchor="end">%s</text>', label_w - 8, y + 16, esc(b.label))
    out[#out + 1] = string.format('<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>', label_w, y + 4, w, row_h - 8, color)
    out[#out + 1] = string.format('<text x="%d" y="%d">%s%s</text>', label_w + w + 6, y + 16,
      esc(fmt_v(b.value)), b.note and (" " .. esc(b.note)) or "")
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n") .. "\n"
end

-- spans: list of { name = "erase", start = seconds, duration = seconds }
function M.timeline(title, spans, opts)
  opts = opts or {}
  local width, left, row_h = opts.width or 900, 110, 24
  local names, row = {}, {}
  for _, s in ipairs(spans) do
    if not row[s.name] then names[#names + 1] = s.name; row[s.name] = #names end
  end
  local t_end = 0
  for _, s in ipairs(spans) do t_end = math.max(t_end, s.start + s.duration) end
  if t_end <= 0 then t_end = 1 end
  local top = 40
  local height = top + #names * row_h + 40
  local plot_w = width - left - 20
  local out = {
    string.format('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="13">', width, height),
    string.format('<rect width="%d" height="%d" fill="white"/>', width, height),
    string.format('<text x="10" y="22" font-size="16" font-weight="bold">%s</text>', esc(title)),
  }
  for i, n in ipairs(names) do
    out[#out + 1] = string.format('<text x="%d" y="%d" text-anchor="end">%s</text>', left - 8, top + (i - 1) * row_h + 16, esc(n))
  end
  for _, s in ipairs(spans) do
    local r = row[s.name]
    local x = left + plot_w * s.start / t_end
    local w = math.max(1, plot_w * s.duration / t_end)
    out[#out + 1] = string.format('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %s</title></rect>',
      x, top + (r - 1) * row_h + 4, w, row_h - 8, palette[(r - 1) % #palette + 1], esc(s.name), esc(fmt_s(s.duration)))
  end
  local axis_y = top + #names * row_h + 18
  for k = 0, 4 do
    local t = t_end * k / 4
    out[#out + 1] = string.format('<text x="%.1f" y="%d" text-anchor="middle">%s</text>', left + plot_w * k / 4, axis_y, esc(fmt_s(t)))
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n") .. "\n"
end

return M

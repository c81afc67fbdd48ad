-- twilio.cli.explain: an error as one line for a person, with what to do
-- about the Twilio errors a purchase most often meets.
local tostring, type = tostring, type

local _M = {}

local ADVICE = {
  [21631] = "the number needs an address on file: give --address-sid AD… (an Address in the account " ..
            "that satisfies the number's address_requirements)",
  [21649] = "the number's country needs a regulatory bundle: give --bundle-sid BU… (an approved " ..
            "Regulatory Compliance bundle for that country and number type)",
  [21422] = "the number is not available to buy (already bought, or never offered): search again",
  [21452] = "no free number in that area code: try another, or search first",
  [20003] = "the credentials were refused, or cannot reach that account",
  [20404] = "not found in this account",
}
_M.ADVICE = ADVICE

function _M.error(err)
  if type(err) ~= "table" then return tostring(err) end
  local text = err.message and tostring(err.message) or tostring(err)
  if err.kind == "api" and err.code then
    text = ("HTTP %s, code %s: %s"):format(tostring(err.status), tostring(err.code), text)
  elseif err.kind == "invalid" then
    text = "refused before sending: " .. text
  elseif err.kind and err.kind ~= "api" then
    text = err.kind .. ": " .. text
  end
  local advice = ADVICE[tonumber(err.code) or -1]
  if advice then text = text .. " (" .. advice .. ")" end
  return text
end

return _M

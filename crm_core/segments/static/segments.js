// The segment editor: a builder over the rules' JSON text, and a live count.
// Without this script the JSON text is edited directly.
(function () {
  "use strict";

  var form = document.querySelector("form[data-segment-editor]");
  var text = form && form.querySelector("textarea[name=rules]");
  var mount = form && form.querySelector("[data-segment-builder]");
  var counter = form && form.querySelector("[data-segment-count]");
  if (!form || !text || !mount) {
    return;
  }
  var csrf = document.querySelector("meta[name=csrf-token]");
  var fields = {};
  var timer = null;
  var sequence = 0;

  function element(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === "text") {
        node.textContent = attributes[name];
      } else {
        node.setAttribute(name, attributes[name]);
      }
    });
    (children || []).forEach(function (child) {
      node.appendChild(child);
    });
    return node;
  }

  function options(select, values, chosen) {
    values.forEach(function (item) {
      var value = typeof item === "string" ? item : item.value;
      var label = typeof item === "string" ? item : item.label;
      var option = element("option", { value: value, text: label });
      option.selected = value === chosen;
      select.appendChild(option);
    });
    return select;
  }

  function read() {
    try {
      var rules = JSON.parse(text.value);
      return rules && typeof rules === "object" ? rules : null;
    } catch (error) {
      return null;
    }
  }

  function write(rules) {
    text.value = JSON.stringify(rules, null, 2);
    scheduleCount();
  }

  // -- the builder -------------------------------------------------------------

  function modeOf(group) {
    return Object.prototype.hasOwnProperty.call(group, "any") ? "any" : "all";
  }

  function renderGroup(group, onChange, onRemove) {
    var mode = modeOf(group);
    var items = group[mode] || [];
    var box = element("div", { class: "segment-group" });
    var choose = options(
      element("select", { "aria-label": "How the items combine" }),
      [
        { value: "all", label: "All of these hold" },
        { value: "any", label: "Any of these holds" },
      ],
      mode
    );
    choose.addEventListener("change", function () {
      var next = {};
      next[choose.value] = items;
      onChange(next);
    });
    var head = element("div", { class: "segment-group-head" }, [choose]);
    if (onRemove) {
      head.appendChild(button("Remove group", onRemove));
    }
    box.appendChild(head);
    items.forEach(function (item, index) {
      var replace = function (value) {
        items[index] = value;
        onChange(group);
      };
      var remove = function () {
        items.splice(index, 1);
        onChange(group);
      };
      if (item && (item.all || item.any)) {
        box.appendChild(renderGroup(item, replace, remove));
      } else {
        box.appendChild(renderCondition(item || {}, replace, remove));
      }
    });
    var add = function (value) {
      return function () {
        items.push(value());
        group[mode] = items;
        onChange(group);
      };
    };
    var first = Object.keys(fields)[0] || "name";
    box.appendChild(
      element("div", { class: "segment-group-tools" }, [
        button("Add condition", add(function () {
          return { field: first, op: fields[first] ? fields[first].operators[0] : "eq", value: "" };
        })),
        button("Add group", add(function () {
          return { any: [] };
        })),
      ])
    );
    return box;
  }

  function button(label, action) {
    var node = element("button", { type: "button", class: "button button-quiet", text: label });
    node.addEventListener("click", action);
    return node;
  }

  function renderCondition(condition, onChange, onRemove) {
    var row = element("div", { class: "segment-condition" });
    var field = fields[condition.field];
    var pick = element("select", { "aria-label": "Field" });
    var groups = {};
    Object.keys(fields).forEach(function (name) {
      var group = fields[name].group || "Fields";
      if (!groups[group]) {
        groups[group] = element("optgroup", { label: group });
        pick.appendChild(groups[group]);
      }
      options(groups[group], [{ value: name, label: fields[name].label + " (" + name + ")" }], condition.field);
    });
    pick.addEventListener("change", function () {
      var next = fields[pick.value];
      onChange({ field: pick.value, op: next.operators[0], value: "" });
    });
    row.appendChild(pick);
    var operators = field ? field.operators : [condition.op || "eq"];
    var op = options(element("select", { "aria-label": "Operator" }), operators, condition.op);
    op.addEventListener("change", function () {
      condition.op = op.value;
      onChange(condition);
    });
    row.appendChild(op);
    row.appendChild(valueInput(condition, field, onChange));
    if (condition.field === "activities") {
      row.appendChild(activityFilter(condition, onChange));
    }
    row.appendChild(button("Remove", onRemove));
    return row;
  }

  var NO_VALUE = ["is_set", "is_not_set", "exists", "not_exists"];

  function valueInput(condition, field, onChange) {
    if (NO_VALUE.indexOf(condition.op) >= 0) {
      delete condition.value;
      return element("span");
    }
    var type = field ? field.type : "text";
    var input;
    if (type === "boolean") {
      input = options(element("select", { "aria-label": "Value" }), ["true", "false"], String(condition.value));
    } else if (type === "choice" && ["eq", "ne"].indexOf(condition.op) >= 0) {
      input = options(element("select", { "aria-label": "Value" }), [""].concat(field.choices), condition.value);
    } else {
      var shown = Array.isArray(condition.value) ? condition.value.join(", ") : condition.value;
      input = element("input", { "aria-label": "Value", value: shown === undefined ? "" : shown });
    }
    input.addEventListener("change", function () {
      condition.value = typed(input.value, type, condition.op);
      onChange(condition);
    });
    return input;
  }

  function typed(raw, type, op) {
    if (op === "in" || op === "not_in" || op === "between") {
      return raw.split(",").map(function (part) {
        return typed(part.trim(), type, "eq");
      });
    }
    if (type === "boolean") {
      return raw === "true";
    }
    var numeric = ["integer", "decimal", "activities"].indexOf(type) >= 0;
    if (numeric || op === "in_last_days" || op === "before_last_days") {
      var number = Number(raw);
      return raw.trim() !== "" && !isNaN(number) ? number : raw;
    }
    return raw;
  }

  function activityFilter(condition, onChange) {
    var where = condition.where || {};
    var box = element("span", { class: "segment-where" });
    [["kind", "Kind"], ["channel", "Channel"], ["days", "In the last days"]].forEach(function (pair) {
      var input = element("input", {
        "aria-label": pair[1],
        placeholder: pair[1],
        value: where[pair[0]] === undefined ? "" : where[pair[0]],
      });
      input.addEventListener("change", function () {
        var value = pair[0] === "days" ? Number(input.value) : input.value;
        if (input.value === "") {
          delete where[pair[0]];
        } else {
          where[pair[0]] = value;
        }
        condition.where = where;
        onChange(condition);
      });
      box.appendChild(input);
    });
    return box;
  }

  function render() {
    var rules = read();
    mount.textContent = "";
    if (!rules || !(rules.all || rules.any)) {
      mount.hidden = true;
      return;
    }
    mount.hidden = false;
    mount.appendChild(
      renderGroup(rules, function (changed) {
        write(changed);
        render();
      })
    );
  }

  // -- the live count ----------------------------------------------------------

  function scheduleCount() {
    window.clearTimeout(timer);
    timer = window.setTimeout(count, 400);
  }

  function count() {
    var rules = read();
    if (!counter) {
      return;
    }
    if (!rules) {
      counter.textContent = "The rules are not valid JSON.";
      return;
    }
    var mine = ++sequence;
    fetch(form.dataset.countUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": csrf ? csrf.content : "",
      },
      body: JSON.stringify({ rules: rules }),
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (result) {
        if (mine !== sequence) {
          return;
        }
        counter.textContent = result.ok
          ? result.body.count + " matching customers you may see"
          : "Not counted: " + (result.body.detail || "the rules are not valid");
      })
      .catch(function () {
        counter.textContent = "The count is unavailable right now.";
      });
  }

  text.addEventListener("input", function () {
    scheduleCount();
  });
  text.addEventListener("change", render);

  fetch(form.dataset.fieldsUrl, { credentials: "same-origin" })
    .then(function (response) {
      return response.ok ? response.json() : { items: [] };
    })
    .then(function (body) {
      body.items.forEach(function (item) {
        fields[item.name] = item;
      });
      render();
      count();
    });
})();

// provhost web administration: the few things plain forms cannot do (file uploads with a
// progress bar, confirmations).  Served from our origin only (the CSP forbids inline script).
"use strict";

const csrf = () => document.body.dataset.csrf;

// Forms that ask first: data-confirm="question"
document.addEventListener("submit", (ev) => {
  const q = ev.target.dataset && ev.target.dataset.confirm;
  if (q && !window.confirm(q)) ev.preventDefault();
});

// CSV file picked: read it into the textarea, so the preview shows what will be imported
for (const input of document.querySelectorAll("input[type=file][data-fill]")) {
  input.addEventListener("change", () => {
    const file = input.files[0];
    if (file) file.text().then((t) => { document.getElementById(input.dataset.fill).value = t; });
  });
}

// POST a file as the raw body, with progress; resolves to {status, json}
function upload(url, file, progress) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRF-Token", csrf());
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    if (progress) {
      progress.hidden = false;
      progress.value = 0;
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) progress.value = Math.round(100 * e.loaded / e.total);
      });
    }
    xhr.onload = () => {
      let json = {};
      try { json = JSON.parse(xhr.responseText); } catch (e) { json = {error: xhr.responseText}; }
      resolve({status: xhr.status, json});
    };
    xhr.onerror = () => resolve({status: 0, json: {error: "the upload failed (connection)"}});
    xhr.send(file);
  });
}

// Modules: install; an unsigned one only after the separate confirmation dialog
const installBtn = document.getElementById("module-install");
if (installBtn) {
  const fileInput = document.getElementById("module-file");
  const status = document.getElementById("install-status");
  const dialog = document.getElementById("unsigned-dialog");
  const understood = document.getElementById("unsigned-understood");
  const confirmBtn = document.getElementById("unsigned-confirm");
  const send = async (confirmUnsigned) => {
    const file = fileInput.files[0];
    if (!file) { status.textContent = "Choose a module archive first."; return; }
    const force = document.getElementById("module-force").checked ? "1" : "0";
    status.textContent = "Installing " + file.name + "...";
    const r = await upload("/modules/install?force=" + force +
                           (confirmUnsigned ? "&confirm_unsigned=1" : ""), file, null);
    if (r.status === 200) { window.location.reload(); return; }
    if (r.status === 409 && r.json.needs_confirmation) {
      status.textContent = r.json.error + " Not installed.";
      document.getElementById("unsigned-what").textContent = r.json.error;
      understood.checked = false;
      confirmBtn.disabled = true;
      dialog.showModal();
      return;
    }
    status.textContent = "Refused: " + (r.json.error || ("HTTP " + r.status));
    status.className = "bad";
  };
  installBtn.addEventListener("click", () => send(false));
  understood.addEventListener("change", () => { confirmBtn.disabled = !understood.checked; });
  document.getElementById("unsigned-cancel").addEventListener("click", () => dialog.close());
  confirmBtn.addEventListener("click", () => { dialog.close(); send(true); });
}

// Firmwares and logos: upload with a progress bar; the rejection reason shown in the row
let pendingNoVerify = null;
const fwSend = async (cell, verify) => {
  const file = cell.querySelector("input[type=file]").files[0];
  const status = cell.querySelector(".fw-status");
  if (!file) { status.textContent = "Choose a file first."; return; }
  const url = "/firmware/upload?module=" + encodeURIComponent(cell.dataset.module) +
              "&slot=" + encodeURIComponent(cell.dataset.slotid) +
              "&filename=" + encodeURIComponent(file.name) + (verify ? "" : "&no_verify=1");
  status.textContent = "Uploading and converting...";
  status.className = "fw-status";
  const r = await upload(url, file, cell.querySelector("progress"));
  if (r.status === 200) { window.location.reload(); return; }
  status.textContent = "Rejected: " + (r.json.error || ("HTTP " + r.status));
  status.className = "fw-status bad";
};
for (const cell of document.querySelectorAll("td.upload")) {
  cell.querySelector(".fw-upload").addEventListener("click", () => fwSend(cell, true));
  cell.querySelector(".fw-upload-noverify").addEventListener("click", () => {
    pendingNoVerify = cell;
    document.getElementById("noverify-dialog").showModal();
  });
}
const nvDialog = document.getElementById("noverify-dialog");
if (nvDialog) {
  document.getElementById("noverify-cancel").addEventListener("click", () => nvDialog.close());
  document.getElementById("noverify-confirm").addEventListener("click", () => {
    nvDialog.close();
    if (pendingNoVerify) fwSend(pendingNoVerify, false);
  });
}

// Entry point: load options, events and state, open /updates, render.
import { render } from "preact";
import { loadInitial } from "./app";
import { onKeyDown } from "./keys";
import { App } from "./ui/App";
import { connect } from "./updates";
import "./style.css";

// The token from the start-up URL has done its job once the server has set
// its cookie: drop it from the address bar so it is not shared by accident.
if (new URLSearchParams(location.search).has("token")) {
    history.replaceState(null, "", location.pathname + location.hash);
}

render(<App />, document.getElementById("mitmproxy")!);
window.addEventListener("keydown", onKeyDown);
void loadInitial();
connect();

// Entry point: load options, events and state, open /updates, render.
import { render } from "preact";
import { flows, loadInitial } from "./app";
import { onKeyDown } from "./keys";
import { App } from "./ui/App";
import { ROW } from "./ui/FlowTable";
import { connect } from "./updates";
import "./style.css";

// The token from the start-up URL has done its job once the server has set
// its cookie: drop it from the address bar so it is not shared by accident.
if (new URLSearchParams(location.search).has("token")) {
    history.replaceState(null, "", location.pathname + location.hash);
}

// The first screen of rows is asked for before the first render (index.html
// preloads it), so its answer is parsed while the page is built; the table
// says which rows it shows once it has a size.
flows.setVisible(0, Math.ceil(window.innerHeight / ROW));
render(<App />, document.getElementById("mitmproxy")!);
window.addEventListener("keydown", onKeyDown);
void loadInitial();
connect();

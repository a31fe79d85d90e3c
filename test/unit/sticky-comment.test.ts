// .github/scripts/sticky-comment.js, the PR comment step of .github/workflows/preview.yml,
// against a fake GitHub client: one comment per stack, created once and then edited.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const stickyComment: (gh: unknown, stack: string, file: string) => Promise<void> = require("../../.github/scripts/sticky-comment.js");

function fakeGitHub(existing: { id: number; body: string; user: { type: string } }[]) {
    const calls: string[] = [];
    const comments = [...existing];
    const rest = {
        issues: {
            listComments: "listComments",
            createComment: async (a: { body: string }) => { calls.push(`create ${a.body.split("\n")[0]}`); comments.push({ id: 99, body: a.body, user: { type: "Bot" } }); },
            updateComment: async (a: { comment_id: number; body: string }) => { calls.push(`update ${a.comment_id}`); },
        },
    };
    const github = { rest, paginate: async () => comments };
    const context = { repo: { owner: "o", repo: "r" }, issue: { number: 7 } };
    return { gh: { github, context }, calls };
}

describe("sticky PR comment", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-comment-")), "dev.md");
    fs.writeFileSync(file, "### ✅ `pulumi preview` of stack `dev`\n");

    it("creates the stack's comment once, then edits that one (not a person's, not another stack's)", async () => {
        const first = fakeGitHub([{ id: 1, body: "<!-- mlplat-preview:dev --> quoted by a person", user: { type: "User" } }, { id: 2, body: "<!-- mlplat-preview:prod -->\n…", user: { type: "Bot" } }]);
        await stickyComment(first.gh, "dev", file);
        assert.deepStrictEqual(first.calls, ["create <!-- mlplat-preview:dev -->"]);
        const again = fakeGitHub([{ id: 5, body: "<!-- mlplat-preview:dev -->\nold", user: { type: "Bot" } }]);
        await stickyComment(again.gh, "dev", file);
        assert.deepStrictEqual(again.calls, ["update 5"]);
    });

    it("says so when the preview left no summary", async () => {
        const f = fakeGitHub([]);
        let body = "";
        (f.gh.github.rest.issues as any).createComment = async (a: { body: string }) => { body = a.body; };
        await stickyComment(f.gh, "prod", "/nonexistent/prod.md");
        assert.match(body, /The preview produced no summary/);
    });
});

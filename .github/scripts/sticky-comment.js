// Posts the preview summary as one pull-request comment per stack, and updates that same
// comment on every later push (found by its hidden marker), so a PR never collects a pile
// of stale previews. Used by .github/workflows/preview.yml through actions/github-script.
const fs = require("fs");

// GitHub refuses comments over 65,536 characters.
const LIMIT = 65000;

module.exports = async function stickyComment({ github, context }, stack, file) {
    const marker = `<!-- mlplat-preview:${stack} -->`;
    const summary = fs.existsSync(file)
        ? fs.readFileSync(file, "utf8")
        : `### ❌ \`pulumi preview\` of stack \`${stack}\`\n\nThe preview produced no summary: see the job's log.\n`;
    let body = `${marker}\n${summary}`;
    if (body.length > LIMIT) body = `${body.slice(0, LIMIT)}\n\n… (cut at GitHub's comment limit: the job summary has all of it)\n`;
    const { owner, repo } = context.repo;
    const issue_number = context.issue.number;
    const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
    const mine = comments.find((c) => c.user && c.user.type === "Bot" && typeof c.body === "string" && c.body.startsWith(marker));
    if (mine) await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
    else await github.rest.issues.createComment({ owner, repo, issue_number, body });
};

// The name of kube-proxy's nftables table (one per IP family), apart from the rules' renderer so
// that an iptables-mode proxy can check for and delete a left-over table without loading it.
export const TABLE = 'kube-proxy';

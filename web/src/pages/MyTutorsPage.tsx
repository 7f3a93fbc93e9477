import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { unwrap } from "../api/problem";
import { queryKeys } from "../api/queryKeys";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";

const SEES: Record<string, string> = {
  sessions: "your tutoring sessions",
  goals: "your goals",
  practice: "the practice you do",
  attempts: "your quiz answers",
  mastery: "how well you know each topic",
  context: "a summary of where you stand",
  courses: "your courses",
};

/** Which tutors may see what of the learner's data: never their chats unless they hand one off. */
export function MyTutorsPage() {
  const tutors = useQuery({ queryKey: queryKeys.myTutors(), queryFn: () => unwrap(api.GET("/v1/me/tutors")) });
  if (tutors.isPending) return <Loading what="your tutors" />;
  if (tutors.isError) return <ErrorNotice error={tutors.error} onRetry={() => tutors.refetch()} />;
  const links = tutors.data.links;
  return (
    <section className="my-tutors">
      <h1>My tutors</h1>
      {links.length === 0 ? (
        <p className="empty">No tutor can see your studies.</p>
      ) : (
        <ul>
          {links.map((link) => (
            <li key={link.id}>
              <h2>{link.tutor_name}</h2>
              <p className="meta">{link.organization_name}</p>
              <p>
                Can see: {link.can_see.map((what) => SEES[what] ?? what).join(", ")}. Never your chats with the tutor
                assistant, unless you hand one off.
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
